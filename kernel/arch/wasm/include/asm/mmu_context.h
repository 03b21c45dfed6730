/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_MMU_CONTEXT_H
#define _ASM_WASM_MMU_CONTEXT_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <asm/host.h>

extern atomic_long_t wasm_mm_host_ids;

static inline int init_new_context(struct task_struct *tsk,
				   struct mm_struct *mm)
{
	mm->context.host_id = atomic_long_inc_return(&wasm_mm_host_ids);
	mm->context.args = NULL;
	mm->context.args_len = 0;
	return 0;
}
#define init_new_context init_new_context

void destroy_context(struct mm_struct *mm);
#define destroy_context destroy_context

void wasm_mm_keep_args(struct mm_struct *mm);
int arch_access_remote_vm(struct mm_struct *mm, unsigned long addr, void *buf,
			  int len, unsigned int gup_flags);
#define arch_access_remote_vm arch_access_remote_vm

#include <asm-generic/nommu_context.h>

#endif /* _ASM_WASM_MMU_CONTEXT_H */
