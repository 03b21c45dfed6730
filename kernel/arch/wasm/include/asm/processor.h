/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_PROCESSOR_H
#define _ASM_WASM_PROCESSOR_H

#include <asm/ptrace.h>

/*
 * User memory is a separate wasm memory per process, addressed from 0;
 * the last page stays out of reach so that end-of-range sums cannot wrap.
 */
#define TASK_SIZE		0xfffff000UL
#define TASK_UNMAPPED_BASE	0
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		STACK_TOP

#ifndef __ASSEMBLY__

#include <linux/types.h>

struct task_struct;

/*
 * What the host needs to run a task: the token its worker waits on while
 * another task runs, whether that worker exists yet, the wasm TLS block of
 * its vmlinux instance, and for a new kernel thread what to call.
 */
struct thread_struct {
	unsigned long tls_block[4] __aligned(16);
	u32 run;
	u32 started;
	/* The last wait for the CPU was short: watching the token pays. */
	u32 wait_was_short;
	/* The task that handed its CPU to this one (switch_to's "last"). */
	struct task_struct *last;
	/*
	 * Where the host keeps this task's stack: a CPU's worker, the kernel
	 * threads' worker (WASM_HOME_KTHREADS), or -1, a worker of its own.
	 */
	int home;
	int (*fn)(void *);
	void *fn_arg;
};

/* The boot task already runs, on the boot worker (CPU 0's): never spawn it. */
#define INIT_THREAD  { .started = 1, .home = 0 }

#define task_pt_regs(p) \
	((struct pt_regs *)(task_stack_page(p) + THREAD_SIZE) - 1)

#define KSTK_EIP(tsk)	(0)
#define KSTK_ESP(tsk)	(task_pt_regs(tsk)->sp)

void wasm_relax_pause(void);

/*
 * A long spin now and then lets the host run whatever the spinner waits
 * for: a task that shares the spinner's worker, or one that needs a host
 * core (smp.c).
 */
static inline void cpu_relax(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	wasm_relax_pause();
}

static inline unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

void start_thread(struct pt_regs *regs, unsigned long pc, unsigned long sp);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_PROCESSOR_H */
