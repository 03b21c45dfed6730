/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_PERCPU_H
#define _ASM_WASM_PERCPU_H

/*
 * wasm-ld folds every ".data.*" section into .data, which would scatter
 * the per-CPU template through it.  Under a name of its own each per-CPU
 * section stays a segment, which head.c orders and the build checks.
 */
#define PER_CPU_BASE_SECTION	"percpu"

/*
 * Nothing interrupts kernel code between two instructions here: interrupts
 * are taken only where the kernel enables them, on system call entry and
 * when idle, and there is no kernel preemption.  So the raw per-CPU
 * read-modify-writes are already whole with respect to this CPU, and
 * this_cpu_*() need not disable interrupts around each one.
 */
#define this_cpu_write_1(pcp, val)	raw_cpu_write_1(pcp, val)
#define this_cpu_write_2(pcp, val)	raw_cpu_write_2(pcp, val)
#define this_cpu_write_4(pcp, val)	raw_cpu_write_4(pcp, val)
#define this_cpu_write_8(pcp, val)	raw_cpu_write_8(pcp, val)
#define this_cpu_add_1(pcp, val)	raw_cpu_add_1(pcp, val)
#define this_cpu_add_2(pcp, val)	raw_cpu_add_2(pcp, val)
#define this_cpu_add_4(pcp, val)	raw_cpu_add_4(pcp, val)
#define this_cpu_add_8(pcp, val)	raw_cpu_add_8(pcp, val)
#define this_cpu_and_1(pcp, val)	raw_cpu_and_1(pcp, val)
#define this_cpu_and_2(pcp, val)	raw_cpu_and_2(pcp, val)
#define this_cpu_and_4(pcp, val)	raw_cpu_and_4(pcp, val)
#define this_cpu_and_8(pcp, val)	raw_cpu_and_8(pcp, val)
#define this_cpu_or_1(pcp, val)	raw_cpu_or_1(pcp, val)
#define this_cpu_or_2(pcp, val)	raw_cpu_or_2(pcp, val)
#define this_cpu_or_4(pcp, val)	raw_cpu_or_4(pcp, val)
#define this_cpu_or_8(pcp, val)	raw_cpu_or_8(pcp, val)
#define this_cpu_add_return_1(pcp, val)	raw_cpu_add_return_1(pcp, val)
#define this_cpu_add_return_2(pcp, val)	raw_cpu_add_return_2(pcp, val)
#define this_cpu_add_return_4(pcp, val)	raw_cpu_add_return_4(pcp, val)
#define this_cpu_add_return_8(pcp, val)	raw_cpu_add_return_8(pcp, val)
#define this_cpu_xchg_1(pcp, nval)	raw_cpu_xchg_1(pcp, nval)
#define this_cpu_xchg_2(pcp, nval)	raw_cpu_xchg_2(pcp, nval)
#define this_cpu_xchg_4(pcp, nval)	raw_cpu_xchg_4(pcp, nval)
#define this_cpu_xchg_8(pcp, nval)	raw_cpu_xchg_8(pcp, nval)
#define this_cpu_try_cmpxchg_1(pcp, ovalp, nval)	raw_cpu_try_cmpxchg_1(pcp, ovalp, nval)
#define this_cpu_try_cmpxchg_2(pcp, ovalp, nval)	raw_cpu_try_cmpxchg_2(pcp, ovalp, nval)
#define this_cpu_try_cmpxchg_4(pcp, ovalp, nval)	raw_cpu_try_cmpxchg_4(pcp, ovalp, nval)
#define this_cpu_try_cmpxchg_8(pcp, ovalp, nval)	raw_cpu_try_cmpxchg_8(pcp, ovalp, nval)
#define this_cpu_cmpxchg_1(pcp, oval, nval)	raw_cpu_cmpxchg_1(pcp, oval, nval)
#define this_cpu_cmpxchg_2(pcp, oval, nval)	raw_cpu_cmpxchg_2(pcp, oval, nval)
#define this_cpu_cmpxchg_4(pcp, oval, nval)	raw_cpu_cmpxchg_4(pcp, oval, nval)
#define this_cpu_cmpxchg_8(pcp, oval, nval)	raw_cpu_cmpxchg_8(pcp, oval, nval)
#define this_cpu_cmpxchg64(pcp, oval, nval)	raw_cpu_cmpxchg64(pcp, oval, nval)
#define this_cpu_try_cmpxchg64(pcp, ovalp, nval)	raw_cpu_try_cmpxchg64(pcp, ovalp, nval)

#include <asm-generic/percpu.h>

#endif /* _ASM_WASM_PERCPU_H */
