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
/*
 * The host reads syscall_nr, sp, pc and tls at a task's stack top; their
 * offsets reach it through asm-offsets.c.
 */
struct pt_regs {
	long syscall_nr;	/* -1 when not in a system call */
	long orig_ret;
	u64 args[6];
	long ret;
	unsigned long sp;	/* user stack pointer to start at */
	unsigned long pc;	/* how user code starts: WASM_ENTRY_* */
	unsigned long flags;
	unsigned long tls;	/* a clone child's TLS block */
};

/*
 * Where user code starts when a task enters user mode other than by
 * returning from a system call: a new program at _start(sp) after execve(),
 * or a clone()d child at the program's __wasm_clone_entry(sp, tls).
 */
#define WASM_ENTRY_START	0
#define WASM_ENTRY_CLONE	1

/* The host-made pt_regs for interrupts taken in the kernel say so. */
#define PT_WASM_KERNEL			1
/* A signal asked for the interrupted system call to be made again. */
#define PT_WASM_RESTART			2
/* rt_sigreturn: the handler asked for the interrupted call to fail (EINTR). */
#define PT_WASM_SIGRETURN_EINTR		4
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
