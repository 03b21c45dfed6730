/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_WASM_H
#define _ASM_WASM_WASM_H

/* Statuses for wasm_host_halt(). */
#define WASM_HALT_POWER_OFF	0
#define WASM_HALT_PANIC		1
#define WASM_HALT_RESTART	2

/*
 * wasm_host_user_signal()'s result when the handler left by longjmp()
 * rather than returning (a trap's result is its signal, below 65).
 */
#define WASM_SIGNAL_JUMPED	256

/* Interrupt lines: bits of wasm_irq_pending, set by the host. */
#define WASM_IRQ_TIMER		0
#define WASM_IRQ_CONSOLE	1
#define WASM_IRQ_STDIN		2
#define WASM_IRQ_9P		3
#define WASM_IRQ_IPI		4	/* from another CPU: see wasm_cpu.ipi */
#define WASM_IRQ_NET		5

/* Messages between CPUs: bits of wasm_cpu.ipi (smp.c). */
#define WASM_IPI_RESCHEDULE	0
#define WASM_IPI_CALL_FUNC	1
#define WASM_IPI_STOP		2

/*
 * The word in every program's memory that its loops poll (wasmlinux-cc
 * instruments them); the host sets it to ask for a system call.
 */
#define WASM_USER_PREEMPT_ADDR	512

#ifndef __ASSEMBLY__

#include <linux/types.h>
#include <asm/host.h>

/*
 * Wait and notify: a task sleeps until the word at addr is notified (if it
 * still holds expect), or for at most timeout_ns (-1: no limit).  What
 * CPUs and the host use to wake each other.  The wait goes through the
 * host, which may suspend the task rather than block its worker.
 */
static inline void wasm_wait32(void *addr, u32 expect, s64 timeout_ns)
{
	wasm_host_wait(addr, expect, timeout_ns);
}

static inline void wasm_notify(void *addr, unsigned int count)
{
	__builtin_wasm_memory_atomic_notify(addr, count);
}

void wasm_user_enter(void);
void wasm_user_leave(void);

struct pt_regs;
struct task_struct;

/* Entry points the host calls (exported from vmlinux.wasm). */
void wasm_start_kernel(void);
unsigned long wasm_task_entry(struct task_struct *task);
long wasm_syscall(long nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
unsigned long wasm_user_fault(int sig);
/* Log a trap in user code (debug.exception-trace) that raises sig. */
void wasm_show_user_trap(int sig);

void wasm_console_init(void);
void paging_init(void);
unsigned long wasm_enter_user(struct pt_regs *regs);
unsigned long wasm_exit_to_user(struct pt_regs *regs, unsigned long work);
void wasm_raise_irq(unsigned int cpu, unsigned int irq);
void wasm_handle_ipi(void);
void wasm_ipi_starting_cpu(void);
void wasm_timer_starting_cpu(void);
void __noreturn wasm_secondary_start(void);
void wasm_do_notify_resume(struct pt_regs *regs, unsigned long flags);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_WASM_H */
