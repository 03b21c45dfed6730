/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_BARRIER_H
#define _ASM_WASM_BARRIER_H

/* Other host threads see this memory: order it with atomic.fence. */
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	mb()
#define wmb()	mb()

#include <asm-generic/barrier.h>

#endif /* _ASM_WASM_BARRIER_H */
