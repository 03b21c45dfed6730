/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_BARRIER_H
#define _ASM_WASM_BARRIER_H

/* Other host threads see this memory: order it with atomic.fence. */
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	mb()
#define wmb()	mb()

#ifndef __ASSEMBLY__

/*
 * Every read-modify-write atomic instruction is sequentially consistent,
 * so it needs no fence around it; and the memory's atomic loads and stores
 * are sequentially consistent too, which makes them acquire loads and
 * release stores without a separate atomic.fence (a full fence on every
 * spin_unlock() and wake-up made system calls ~100 ns slower).
 */
#define __smp_mb__before_atomic()	barrier()
#define __smp_mb__after_atomic()	barrier()

#define __smp_load_acquire(p)						\
({									\
	compiletime_assert_atomic_type(*(p));				\
	(typeof(*(p)))__atomic_load_n((p), __ATOMIC_SEQ_CST);		\
})

#define __smp_store_release(p, v)					\
do {									\
	compiletime_assert_atomic_type(*(p));				\
	__atomic_store_n((p), (typeof(*(p)))(v), __ATOMIC_SEQ_CST);	\
} while (0)

#define __smp_store_mb(var, value)					\
do {									\
	(void)__atomic_exchange_n(&(var), (typeof(var))(value),	\
				  __ATOMIC_SEQ_CST);			\
} while (0)

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
