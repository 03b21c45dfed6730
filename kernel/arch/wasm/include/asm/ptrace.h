/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_PTRACE_H
#define _ASM_WASM_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__

/*
 * There are no user registers to save: user code keeps its state in its
 * own wasm instance.  pt_regs holds what crosses the user/kernel boundary,
 * a system call's number, arguments and result, and where user code
 * starts after execve().
 */
struct pt_regs {
	long syscall_nr;	/* -1 when not in a system call */
	long orig_ret;
	u64 args[6];
	long ret;
	unsigned long sp;	/* user stack pointer at program start */
	unsigned long pc;	/* always 0: user entry is _start */
	unsigned long flags;
};

/* The host-made pt_regs for interrupts taken in the kernel say so. */
#define PT_WASM_KERNEL			1
#define user_mode(regs)			(!((regs)->flags & PT_WASM_KERNEL))
#define instruction_pointer(regs)	((regs)->pc)
#define profile_pc(regs)		instruction_pointer(regs)
#define user_stack_pointer(regs)	((regs)->sp)
#define current_pt_regs()		task_pt_regs(current)

static inline long regs_return_value(struct pt_regs *regs)
{
	return regs->ret;
}

static inline void instruction_pointer_set(struct pt_regs *regs,
					   unsigned long val)
{
	regs->pc = val;
}

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_PTRACE_H */
