/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_SYSCALL_H
#define _ASM_WASM_SYSCALL_H

#include <uapi/linux/audit.h>
#include <linux/elf-em.h>
#include <linux/err.h>
#include <linux/sched.h>
#include <asm/ptrace.h>

/* wasm has no ELF machine number; audit sees a little-endian "none". */
#define AUDIT_ARCH_WASM32	(EM_NONE | __AUDIT_ARCH_LE)

typedef long (*syscall_fn_t)(const struct pt_regs *regs);

extern const syscall_fn_t sys_call_table[];

long __wasm_sys_ni_syscall(const struct pt_regs *regs);

static inline int syscall_get_nr(struct task_struct *task,
				 struct pt_regs *regs)
{
	return regs->syscall_nr;
}

static inline void syscall_rollback(struct task_struct *task,
				    struct pt_regs *regs)
{
	regs->ret = regs->orig_ret;
}

static inline long syscall_get_error(struct task_struct *task,
				     struct pt_regs *regs)
{
	return IS_ERR_VALUE(regs->ret) ? regs->ret : 0;
}

static inline long syscall_get_return_value(struct task_struct *task,
					    struct pt_regs *regs)
{
	return regs->ret;
}

static inline void syscall_set_return_value(struct task_struct *task,
					    struct pt_regs *regs,
					    int error, long val)
{
	regs->ret = error ? error : val;
}

static inline void syscall_get_arguments(struct task_struct *task,
					 struct pt_regs *regs,
					 unsigned long *args)
{
	int i;

	for (i = 0; i < 6; i++)
		args[i] = regs->args[i];
}

static inline int syscall_get_arch(struct task_struct *task)
{
	return AUDIT_ARCH_WASM32;
}

#endif /* _ASM_WASM_SYSCALL_H */
