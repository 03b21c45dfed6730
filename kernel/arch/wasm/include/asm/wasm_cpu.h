/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_WASM_CPU_H
#define _ASM_WASM_WASM_CPU_H

#include <asm/current.h>
#include <asm/host.h>
#include <asm/thread_info.h>

/*
 * The shared words of the CPU the current task holds.  This header comes
 * before <linux/sched.h> (irqflags.h needs it), so it reads the CPU from
 * thread_info, which THREAD_INFO_IN_TASK puts first in task_struct.
 */
static __always_inline struct wasm_cpu *wasm_this_cpu(void)
{
	return &wasm_cpus[((struct thread_info *)get_current())->cpu];
}

#endif /* _ASM_WASM_WASM_CPU_H */
