/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_ATOMIC_H
#define _ASM_WASM_ATOMIC_H

#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/cmpxchg.h>

/*
 * atomic_t on the memory's atomic instructions.  Plain aligned loads and
 * stores of a word are single-copy atomic; every read-modify-write is a
 * sequentially consistent atomic instruction, so only the fully ordered
 * forms are defined and the generic fallbacks map the _relaxed, _acquire
 * and _release ones onto them.  64-bit atomics are still GENERIC_ATOMIC64.
 */

#define arch_atomic_read(v)	READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)	WRITE_ONCE((v)->counter, (i))

#define WASM_ATOMIC_OP(op)						\
static __always_inline void arch_atomic_##op(int i, atomic_t *v)	\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);		\
}									\
									\
static __always_inline int arch_atomic_fetch_##op(int i, atomic_t *v)	\
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define WASM_ATOMIC_RETURN_OP(op)					\
static __always_inline int arch_atomic_##op##_return(int i, atomic_t *v)\
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

WASM_ATOMIC_OP(add)
WASM_ATOMIC_OP(sub)
WASM_ATOMIC_OP(and)
WASM_ATOMIC_OP(or)
WASM_ATOMIC_OP(xor)
WASM_ATOMIC_RETURN_OP(add)
WASM_ATOMIC_RETURN_OP(sub)

#undef WASM_ATOMIC_OP
#undef WASM_ATOMIC_RETURN_OP

#define arch_atomic_add			arch_atomic_add
#define arch_atomic_sub			arch_atomic_sub
#define arch_atomic_and			arch_atomic_and
#define arch_atomic_or			arch_atomic_or
#define arch_atomic_xor			arch_atomic_xor
#define arch_atomic_fetch_add		arch_atomic_fetch_add
#define arch_atomic_fetch_sub		arch_atomic_fetch_sub
#define arch_atomic_fetch_and		arch_atomic_fetch_and
#define arch_atomic_fetch_or		arch_atomic_fetch_or
#define arch_atomic_fetch_xor		arch_atomic_fetch_xor
#define arch_atomic_add_return		arch_atomic_add_return
#define arch_atomic_sub_return		arch_atomic_sub_return

#define arch_atomic_xchg(v, i)		arch_xchg(&(v)->counter, (i))
#define arch_atomic_cmpxchg(v, o, n)	arch_cmpxchg(&(v)->counter, (o), (n))

#include <asm-generic/atomic64.h>

#endif /* _ASM_WASM_ATOMIC_H */
