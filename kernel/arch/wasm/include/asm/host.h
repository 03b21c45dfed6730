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

#include <linux/types.h>

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
 * Start a worker that calls wasm_task_entry(task) on a new instance.  mm
 * is the process the task belongs to (0 for a kernel thread): a task cloned
 * with CLONE_VM runs the same program on the same memory as its parent.
 */
void wasm_host_spawn_task(struct task_struct *task, unsigned long stack_top,
			  unsigned long tls_block, unsigned long mm)
	__wasm_host(spawn_task);

/* The calling task is dead: unwind and release its worker. */
void wasm_host_task_exit(void) __attribute__((noreturn))
	__wasm_host(task_exit);

/*
 * Write the calling worker's wasm call stack (names from the image) into
 * buf as lines of text, at most len bytes; returns the bytes written.
 */
unsigned long wasm_host_dump_stack(char *buf, unsigned long len)
	__wasm_host(dump_stack);

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
 * named tag, or -ENOENT.  p9_request: hand a T-message to the host; it
 * answers later by writing the R-message into rc (at most rc_cap bytes)
 * and queueing (chan, req, length) in wasm_p9_done.  p9_close: chan is
 * gone.
 */
long wasm_host_p9_open(const char *tag, unsigned long len) __wasm_host(p9_open);
void wasm_host_p9_request(void *chan, int export, const void *tc,
			  unsigned long tc_len, void *req, void *rc,
			  unsigned long rc_cap) __wasm_host(p9_request);
void wasm_host_p9_close(void *chan) __wasm_host(p9_close);

/*
 * Signal handlers: the current program's user stack pointer (0 when it has
 * no __wasm_sigentry to run handlers with), and a call of its handler on
 * the stack below frame_sp.  Returns 0, or the signal a trap in the
 * handler stands for.
 */
unsigned long wasm_host_user_sp(void) __wasm_host(user_sp);
int wasm_host_user_signal(void __user *handler, int sig,
			  void __user *info, void __user *uc,
			  unsigned long frame_sp, int siginfo)
	__wasm_host(user_signal);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_HOST_H */
