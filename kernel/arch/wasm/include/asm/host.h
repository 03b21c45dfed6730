/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_HOST_H
#define _ASM_WASM_HOST_H

/*
 * The functions the host runtime provides to the kernel.  Every task's
 * vmlinux instance imports them from module "host"; the host implements
 * them per worker, so "the current user memory" below is the memory of
 * the process whose task runs on the calling worker.  The same list is
 * kept, with types, in src/core/abi.ts.
 */

#ifndef __ASSEMBLY__

#include <linux/threads.h>
#include <linux/types.h>

/*
 * What the host shares with each CPU, one cache line per CPU in
 * wasm_cpus[] (irq.c).  The host raises an interrupt by setting its
 * WASM_IRQ_* bit in irq_pending and notifying that word, on which the CPU
 * sleeps when idle; it fires the CPU's timer when timer_deadline (host
 * nanoseconds, -1 when off) passes; and it reads user_mm and user_seq to
 * find user code that runs on without system calls (syscall.c).  The
 * offsets go to the host through asm-offsets.c and are checked there.
 */
struct wasm_cpu {
	unsigned long irq_pending;	/* WASM_IRQ_* bits raised, not taken */
	unsigned long irq_enabled;	/* the interrupt flag: ARCH_IRQ_* */
	unsigned long ipi;		/* WASM_IPI_* bits from other CPUs */
	u32 user_mm;		/* host_id of the mm whose code runs, or 0 */
	u32 user_seq;		/* bumped on every return to user code */
	u32 __pad;
	s64 timer_deadline;	/* host nanoseconds; -1 when off */
} __aligned(64);

extern struct wasm_cpu wasm_cpus[NR_CPUS];

/* Bumped (and notified) whenever a CPU changes its timer deadline. */
extern atomic_t wasm_timer_seq;

/* How many CPUs the host runs; it writes this before boot (smp.c). */
extern u32 wasm_boot_cpus;

/* Non-zero if the host's CPU has total store order; also before boot (barrier.h). */
extern unsigned int wasm_host_tso;

/*
 * Non-zero if the host can suspend an instance's wasm stack while its
 * worker runs another instance (JSPI); also written before boot.  The
 * tasks bound to a CPU then share one worker, that CPU's (process.c).
 */
extern unsigned int wasm_host_stack_switching;

/*
 * spawn_task's home for kernel threads bound to no CPU: with stack
 * switching, they share one worker of their own.
 */
#define WASM_HOME_KTHREADS	NR_CPUS

/*
 * Input rings the host fills and the kernel drains (console.c, stdio.c):
 * head and tail count bytes; the host only moves head (and sets eof once
 * its stdin has ended and all of it is in the ring), the kernel only tail.
 * After new bytes the host raises WASM_IRQ_CONSOLE or WASM_IRQ_STDIN.
 */
#define WASM_CONSOLE_IN_SIZE	4096
struct wasm_console_ring {
	u32 head;
	u32 tail;
	u8 buf[WASM_CONSOLE_IN_SIZE];
};
extern struct wasm_console_ring wasm_console_in;

#define WASM_STDIN_SIZE		65536
struct wasm_stdin_ring {
	u32 head;
	u32 tail;
	u32 eof;
	u32 pad;
	u8 buf[WASM_STDIN_SIZE];
};
extern struct wasm_stdin_ring wasm_stdin_in;

/*
 * The host terminal's size: the host stores rows << 16 | cols into size,
 * then bumps seq and raises WASM_IRQ_CONSOLE.  0 rows or columns: unknown.
 */
struct wasm_console_winsize {
	u32 seq;
	u32 size;
};
extern struct wasm_console_winsize wasm_console_winsize;

/*
 * 9P replies the host has written (9p.c): it queues (chan, req, len) at
 * head and raises WASM_IRQ_9P; the kernel takes them at tail.
 */
#define WASM_P9_DONE_SLOTS	256
struct wasm_p9_done_ring {
	u32 head;
	u32 tail;
	struct wasm_p9_done {
		u32 chan;
		u32 req;
		u32 len;
	} slot[WASM_P9_DONE_SLOTS];
};
extern struct wasm_p9_done_ring wasm_p9_done;

/*
 * The Ethernet device (drivers/net.c): a ring of frames each way, in
 * kernel memory.  A frame is a u32 length and its bytes, padded to four
 * bytes, so a length never wraps around the end of the ring.  The producer
 * moves head, the consumer tail, both counting bytes.  A side that finds
 * nothing to take or no room sets consumer_idle or producer_full, and the
 * other side wakes it after its next move: the host wakes the kernel with
 * WASM_IRQ_NET, the kernel wakes the host by notifying the head (tx) or
 * tail (rx) word, on which the host waits.  The host writes present, mtu
 * and mac before boot, and link (carrier) whenever it changes, then raises
 * WASM_IRQ_NET.
 */
#define WASM_NET_RING_SIZE	(1 << 20)
#define WASM_NET_FRAME_MAX	65536
struct wasm_net_ring {
	u32 head;
	u32 tail;
	u32 consumer_idle;
	u32 producer_full;
	u8 data[WASM_NET_RING_SIZE];
};

struct wasm_net {
	u32 present;
	u32 link;
	u32 mtu;
	u8 mac[6];
	u16 __pad;
	struct wasm_net_ring tx;	/* kernel to host */
	struct wasm_net_ring rx;	/* host to kernel */
};
extern struct wasm_net wasm_net;

#define __wasm_host(name) \
	__attribute__((import_module("host"), import_name(#name)))

struct task_struct;

/* Console: bytes to the host's output. */
void wasm_host_console_write(const char *buf, unsigned long len)
	__wasm_host(console_write);

/* Monotonic nanoseconds since the host started the machine. */
double wasm_host_clock_ns(void) __wasm_host(clock_ns);

/* Fill buf with len bytes from the host's cryptographic RNG. */
void wasm_host_random(void *buf, unsigned long len) __wasm_host(random);

/* Seconds since the epoch, for the initial wall clock. */
double wasm_host_wallclock_s(void) __wasm_host(wallclock_s);

/*
 * Call wasm_task_entry(task) on a new instance.  mm is the process the
 * task belongs to (0 for a kernel thread): a task cloned with CLONE_VM
 * runs the same program on the same memory as its parent.  home (only
 * when the host switches stacks) is the CPU whose worker takes a task
 * bound to it, or WASM_HOME_KTHREADS for the other kernel threads;
 * otherwise -1, and the task gets a worker of its own.
 */
void wasm_host_spawn_task(struct task_struct *task, unsigned long stack_top,
			  unsigned long tls_block, unsigned long mm, int home)
	__wasm_host(spawn_task);

/*
 * memory.atomic.wait32 through the host: with stack switching, a task
 * that shares its worker is suspended instead, so that the worker can run
 * the others.  Returns 0 (woken), 1 (*addr was not expect) or 2 (timed out).
 */
u32 wasm_host_wait(void *addr, u32 expect, s64 timeout_ns) __wasm_host(wait);

/* The calling task is dead: unwind and release its worker. */
void wasm_host_task_exit(void) __attribute__((noreturn))
	__wasm_host(task_exit);

/*
 * Write the calling worker's wasm call stack (names from the image) into
 * buf as lines of text, at most len bytes; returns the bytes written.
 */
unsigned long wasm_host_dump_stack(char *buf, unsigned long len)
	__wasm_host(dump_stack);

/*
 * Write what the last trap in user code on the calling worker was (the
 * engine's message and the innermost wasm frame) into buf, at most len
 * bytes; returns the bytes written.
 */
unsigned long wasm_host_user_trap(char *buf, unsigned long len)
	__wasm_host(user_trap);

/* The OOM killer's victim pid (named comm) is ending. */
void wasm_host_oom_killed(int pid, const char *comm) __wasm_host(oom_killed);

/*
 * Stop the machine with a WASM_HALT_* status; msg (may be NULL) says why,
 * so the host can report a panic even when the kernel log is hidden.
 */
void wasm_host_halt(int status, const char *msg) __attribute__((noreturn))
	__wasm_host(halt);

/* Copy between kernel memory and the current user memory. */
unsigned long wasm_host_copy_from_user(void *to, const void __user *from,
				       unsigned long n)
	__wasm_host(copy_from_user);
unsigned long wasm_host_copy_to_user(void __user *to, const void *from,
				     unsigned long n)
	__wasm_host(copy_to_user);
unsigned long wasm_host_clear_user(void __user *to, unsigned long n)
	__wasm_host(clear_user);
long wasm_host_strnlen_user(const char __user *s, long n)
	__wasm_host(strnlen_user);
long wasm_host_strncpy_from_user(char *dst, const char __user *src, long n)
	__wasm_host(strncpy_from_user);

/*
 * execve: compile and check a module and make the memory it asks for (0,
 * -ENOEXEC, or -ENOMEM when the host has no memory to give), then, past
 * the point of no return, give that memory to the task (returns where
 * the memory the program asked for ends, or -errno; a reused memory may be
 * larger, and is zero above).  Every failure the host can foresee comes before
 * the point of no return, where execve() can still fail instead of
 * killing the caller.  key names the file's
 * identity and version (WASM_IMAGE_KEY_WORDS words); with image NULL the
 * host only looks for a module it compiled from that file before and
 * returns -ENOENT if it has none, so an unchanged program is neither read
 * nor compiled again.
 */
#define WASM_IMAGE_KEY_WORDS	5
long wasm_host_exec_prepare(const void *image, unsigned long len,
			    const u32 *key)
	__wasm_host(exec_prepare);
long wasm_host_exec_commit(unsigned long mm) __wasm_host(exec_commit);

/*
 * The process is gone: the host may forget its program and memory.  Here
 * and above, "mm" is the process's mm->context.host_id, never reused.
 */
void wasm_host_mm_release(unsigned long mm) __wasm_host(mm_release);

/* Leave the current user program and start the committed one at sp. */
void wasm_host_exec_restart(unsigned long sp) __attribute__((noreturn))
	__wasm_host(exec_restart);

/*
 * Write to the host's stdout (stream 1) or stderr (2), all of it; returns
 * 0, or -EPIPE when nobody reads that stream any more.
 */
long wasm_host_stdio_write(int stream, const void *buf, unsigned long len)
	__wasm_host(stdio_write);

/*
 * 9P (arch/wasm/kernel/9p.c).  p9_open: the index of the host's export
 * named tag, or -ENOENT.  p9_request: hand a T-message to the host, which
 * writes the R-message into rc (at most rc_cap bytes).  A local export
 * answers at once: the result is the R-message's length.  Any other
 * answers later, by queueing (chan, req, length) in wasm_p9_done: the
 * result is then -EINPROGRESS.  p9_close: chan is gone.
 */
long wasm_host_p9_open(const char *tag, unsigned long len) __wasm_host(p9_open);
long wasm_host_p9_request(void *chan, int export, const void *tc,
			  unsigned long tc_len, void *req, void *rc,
			  unsigned long rc_cap) __wasm_host(p9_request);
void wasm_host_p9_close(void *chan) __wasm_host(p9_close);

/*
 * Signal handlers: the current program's user stack pointer (0 when it has
 * no __wasm_sigentry to run handlers with), and a call of its handler on
 * the stack below frame_sp.  Returns 0, the signal a trap in the handler
 * stands for, or WASM_SIGNAL_JUMPED when it left by longjmp().
 */
unsigned long wasm_host_user_sp(void) __wasm_host(user_sp);
int wasm_host_user_signal(void __user *handler, int sig,
			  void __user *info, void __user *uc,
			  unsigned long frame_sp, int siginfo)
	__wasm_host(user_signal);

/*
 * Futexes (asm/futex.h): one atomic operation on a word of the current
 * user memory, never a read and a separate write.  futex_op applies
 * FUTEX_OP_SET/ADD/OR/ANDN/XOR with arg; futex_cmpxchg stores newval if
 * the word holds oldval.  Both put the word's previous value at *old (in
 * kernel memory) and return 0, or -EFAULT for an address outside the
 * memory or not 4-byte aligned.
 */
int wasm_host_futex_op(int op, u32 __user *uaddr, u32 arg, u32 *old)
	__wasm_host(futex_op);
int wasm_host_futex_cmpxchg(u32 __user *uaddr, u32 oldval, u32 newval,
			    u32 *old) __wasm_host(futex_cmpxchg);

/*
 * Whether the current process's memory can be used from another worker:
 * only then can a clone(CLONE_VM) child run on it.
 */
int wasm_host_user_memory_shared(void) __wasm_host(user_memory_shared);

/*
 * fork: give the process mm (a new one, clone without CLONE_VM) a copy of
 * the current process's memory as it is now, running the same program.
 * Returns 0, -EAGAIN when the memory cannot be used from another worker,
 * or -ENOMEM when the host cannot make the copy.
 */
long wasm_host_fork_memory(unsigned long mm) __wasm_host(fork_memory);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_HOST_H */
