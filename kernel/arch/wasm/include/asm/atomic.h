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
 * and _release ones onto them.  atomic64_t is the same on the memory's
 * 64-bit atomic instructions (an aligned 64-bit load or store is one
 * instruction too).
 */

/* linux/types.h has atomic64_t only for 64-bit kernels. */
typedef struct {
	s64 __aligned(8) counter;
} atomic64_t;

#define arch_atomic_read(v)	READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)	WRITE_ONCE((v)->counter, (i))

#define WASM_ATOMIC_OP(pfx, type, op)					\
static __always_inline void arch_##pfx##_##op(type i, pfx##_t *v)	\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);		\
}									\
									\
static __always_inline type arch_##pfx##_fetch_##op(type i, pfx##_t *v)	\
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define WASM_ATOMIC_RETURN_OP(pfx, type, op)				\
static __always_inline type arch_##pfx##_##op##_return(type i, pfx##_t *v)\
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define WASM_ATOMIC_OPS(pfx, type)					\
	WASM_ATOMIC_OP(pfx, type, add)					\
	WASM_ATOMIC_OP(pfx, type, sub)					\
	WASM_ATOMIC_OP(pfx, type, and)					\
	WASM_ATOMIC_OP(pfx, type, or)					\
	WASM_ATOMIC_OP(pfx, type, xor)					\
	WASM_ATOMIC_RETURN_OP(pfx, type, add)				\
	WASM_ATOMIC_RETURN_OP(pfx, type, sub)

WASM_ATOMIC_OPS(atomic, int)
WASM_ATOMIC_OPS(atomic64, s64)

#undef WASM_ATOMIC_OPS
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

#define ATOMIC64_INIT(i)		{ (i) }
#define arch_atomic64_read(v)		READ_ONCE((v)->counter)
#define arch_atomic64_set(v, i)		WRITE_ONCE((v)->counter, (i))

#define arch_atomic64_add		arch_atomic64_add
#define arch_atomic64_sub		arch_atomic64_sub
#define arch_atomic64_and		arch_atomic64_and
#define arch_atomic64_or		arch_atomic64_or
#define arch_atomic64_xor		arch_atomic64_xor
#define arch_atomic64_fetch_add		arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub		arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and		arch_atomic64_fetch_and
#define arch_atomic64_fetch_or		arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor		arch_atomic64_fetch_xor
#define arch_atomic64_add_return	arch_atomic64_add_return
#define arch_atomic64_sub_return	arch_atomic64_sub_return

#define arch_atomic64_xchg(v, i)	arch_xchg(&(v)->counter, (i))
#define arch_atomic64_cmpxchg(v, o, n)	arch_cmpxchg(&(v)->counter, (o), (n))

#endif /* _ASM_WASM_ATOMIC_H */
