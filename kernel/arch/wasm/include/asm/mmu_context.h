/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_MMU_CONTEXT_H
#define _ASM_WASM_MMU_CONTEXT_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <asm/host.h>

extern atomic_long_t wasm_mm_host_ids;

/*
 * How many mms live whose host_id falls in each slot (host_id modulo the
 * slot count).  A slot at zero tells the host that every process it ever
 * saw with such an id is gone, so the memory it made for one can be
 * given to a new program; a nonzero slot only means "maybe alive".
 */
#define WASM_MM_LIVE_SLOTS	4096
extern atomic_t wasm_mm_live[WASM_MM_LIVE_SLOTS];

static inline atomic_t *wasm_mm_live_slot(unsigned long host_id)
{
	return &wasm_mm_live[host_id % WASM_MM_LIVE_SLOTS];
}

int init_new_context(struct task_struct *tsk, struct mm_struct *mm);
#define init_new_context init_new_context

void destroy_context(struct mm_struct *mm);
#define destroy_context destroy_context

void wasm_mm_keep_args(struct mm_struct *mm);
int wasm_fork_mm(struct mm_struct *mm);
int arch_access_remote_vm(struct mm_struct *mm, unsigned long addr, void *buf,
			  int len, unsigned int gup_flags);
#define arch_access_remote_vm arch_access_remote_vm

#include <asm-generic/nommu_context.h>

#endif /* _ASM_WASM_MMU_CONTEXT_H */
