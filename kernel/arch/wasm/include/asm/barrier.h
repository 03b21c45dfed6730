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

/*
 * wasm has no weaker orderings than those, but many host CPUs need none
 * for the rest: on x86 (total store order) loads are not reordered with
 * loads, nor stores with stores, nor a store with an earlier load, so
 * smp_rmb() and smp_wmb() are compiler barriers and acquire loads and
 * release stores plain ones, as in the kernel's own x86 port; and the
 * engines compile plain wasm loads and stores to plain moves, in program
 * order.  The host sets wasm_host_tso before boot when it knows its CPU
 * has total store order (Node on x86-64, Chromium on x86); elsewhere (ARM,
 * or a browser that does not say) these are atomic.fence and atomic loads
 * and stores.  In a path walk or
 * a spin_unlock() that is the difference between a fence or an xchg and
 * a move.
 */
extern unsigned int wasm_host_tso;

#define __smp_rmb()							\
do {									\
	if (wasm_host_tso)						\
		barrier();						\
	else								\
		mb();							\
} while (0)

#define __smp_wmb()	__smp_rmb()

#define __smp_load_acquire(p)						\
({									\
	compiletime_assert_atomic_type(*(p));				\
	__unqual_scalar_typeof(*(p)) ___v = wasm_host_tso ?		\
		*(const volatile typeof(*(p)) *)(p) :			\
		__atomic_load_n((p), __ATOMIC_SEQ_CST);			\
	barrier();							\
	(typeof(*(p)))___v;						\
})

#define __smp_store_release(p, v)					\
do {									\
	compiletime_assert_atomic_type(*(p));				\
	if (wasm_host_tso) {						\
		barrier();						\
		*(volatile typeof(*(p)) *)(p) = (v);			\
	} else {							\
		__atomic_store_n((p), (typeof(*(p)))(v),		\
				 __ATOMIC_SEQ_CST);			\
	}								\
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
