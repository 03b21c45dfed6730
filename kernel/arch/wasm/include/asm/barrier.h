/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_BARRIER_H
#define _ASM_WASM_BARRIER_H

/* Other host threads see this memory: order it with atomic.fence. */
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	mb()
#define wmb()	mb()

#ifndef __ASSEMBLY__

void wasm_spin_pause(unsigned int *spins);

/*
 * Waiting for another CPU to change a word (spinlocks, csd_lock_wait(),
 * ...).  Every CPU is a host thread, and the host may have fewer cores
 * than there are CPUs, or the CPU waited for may be running user code that
 * sees the request only when the host preempts it: a waiter that spins on
 * may keep the very thread it waits for off a core.  So after a short spin
 * it waits in brief sleeps (wasm_spin_pause(), smp.c).
 */
#define smp_cond_load_relaxed(ptr, cond_expr)				\
({									\
	typeof(ptr) __PTR = (ptr);					\
	__unqual_scalar_typeof(*ptr) VAL;				\
	unsigned int __spins = 0;					\
									\
	for (;;) {							\
		VAL = READ_ONCE(*__PTR);				\
		if (cond_expr)						\
			break;						\
		wasm_spin_pause(&__spins);				\
	}								\
	(typeof(*ptr))VAL;						\
})

#endif /* !__ASSEMBLY__ */

#include <asm-generic/barrier.h>

#endif /* _ASM_WASM_BARRIER_H */
