/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_MMU_CONTEXT_H
#define _ASM_WASM_MMU_CONTEXT_H

#include <asm/host.h>

struct mm_struct;

/* The host keeps each process's program and memory until its mm goes. */
static inline void destroy_context(struct mm_struct *mm)
{
	wasm_host_mm_release((unsigned long)mm);
}
#define destroy_context destroy_context

#include <asm-generic/nommu_context.h>

#endif /* _ASM_WASM_MMU_CONTEXT_H */
