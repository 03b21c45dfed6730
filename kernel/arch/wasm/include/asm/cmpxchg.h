/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_CMPXCHG_H
#define _ASM_WASM_CMPXCHG_H

/*
 * CPUs are host threads on one shared memory, so exchange and
 * compare-exchange must be the memory's own atomic instructions
 * (i32.atomic.rmw.cmpxchg and friends, 1 to 8 bytes); disabling
 * interrupts, as the generic versions do, excludes nobody.  wasm's atomic
 * read-modify-write instructions are sequentially consistent: each is a
 * full barrier.
 */

#define arch_xchg(ptr, x)						\
({									\
	__atomic_exchange_n((ptr), (__typeof__(*(ptr)))(x),		\
			    __ATOMIC_SEQ_CST);				\
})

#define arch_cmpxchg(ptr, o, n)						\
({									\
	__typeof__(*(ptr)) __old = (o);					\
	__atomic_compare_exchange_n((ptr), &__old,			\
				    (__typeof__(*(ptr)))(n), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);\
	__old;								\
})

#define arch_cmpxchg_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))

#endif /* _ASM_WASM_CMPXCHG_H */
