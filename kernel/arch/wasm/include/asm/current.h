/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_CURRENT_H
#define _ASM_WASM_CURRENT_H

#ifndef __ASSEMBLY__

struct task_struct;

/*
 * Each task runs in its own vmlinux instance, and wasm TLS is per
 * instance: current is set once when the instance starts and never
 * changes afterwards.
 */
extern __thread struct task_struct *wasm_current_task;

static __always_inline struct task_struct *get_current(void)
{
	return wasm_current_task;
}

#define current get_current()

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_CURRENT_H */
