/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_FUTEX_H
#define _ASM_WASM_FUTEX_H

/*
 * A process's memory is reached only through the host.  Until a program
 * can run threads, nothing but the calling task uses that memory while it
 * is in the kernel (a vfork or posix_spawn parent sleeps), so the
 * read-modify-write of the uniprocessor helpers cannot race.
 */
#include <asm-generic/futex.h>

#define futex_atomic_cmpxchg_inatomic(uval, uaddr, oldval, newval) \
	futex_atomic_cmpxchg_inatomic_local(uval, uaddr, oldval, newval)
#define arch_futex_atomic_op_inuser(op, oparg, oval, uaddr) \
	futex_atomic_op_inuser_local(op, oparg, oval, uaddr)

#endif /* _ASM_WASM_FUTEX_H */
