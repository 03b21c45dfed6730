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
	return 0;
}
#define init_new_context init_new_context

/* The host keeps each process's program and memory until its mm goes. */
static inline void destroy_context(struct mm_struct *mm)
{
	wasm_host_mm_release(mm->context.host_id);
}
#define destroy_context destroy_context

#include <asm-generic/nommu_context.h>

#endif /* _ASM_WASM_MMU_CONTEXT_H */
