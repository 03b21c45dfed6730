/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_WASM_H
#define _ASM_WASM_WASM_H

/* Statuses for wasm_host_halt(). */
#define WASM_HALT_POWER_OFF	0
#define WASM_HALT_PANIC		1
#define WASM_HALT_RESTART	2

/* Interrupt lines: bits of wasm_irq_pending, set by the host. */
#define WASM_IRQ_TIMER		0
#define WASM_IRQ_CONSOLE	1
#define WASM_IRQ_STDIN		2
#define WASM_IRQ_9P		3

/*
 * The word in every program's memory that its loops poll (wasmlinux-cc
 * instruments them); the host sets it to ask for a system call.
 */
#define WASM_USER_PREEMPT_ADDR	512

#ifndef __ASSEMBLY__

#include <linux/types.h>

/* What the host's preemption watchdog reads (syscall.c). */
struct wasm_user_running {
	u32 mm;		/* host_id of the mm running user code, or 0 */
	u32 seq;	/* bumped on every return to user code */
};
extern struct wasm_user_running wasm_user_running;
void wasm_user_enter(void);
void wasm_user_leave(void);

struct pt_regs;
struct task_struct;

/* Entry points the host calls (exported from vmlinux.wasm). */
void wasm_start_kernel(void);
unsigned long wasm_task_entry(struct task_struct *task);
long wasm_syscall(long nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
unsigned long wasm_user_fault(int sig);

void wasm_console_init(void);
void paging_init(void);
unsigned long wasm_enter_user(struct pt_regs *regs);
unsigned long wasm_exit_to_user(struct pt_regs *regs, unsigned long work);
void wasm_do_notify_resume(struct pt_regs *regs, unsigned long flags);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_WASM_H */
