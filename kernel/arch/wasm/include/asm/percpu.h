/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_PERCPU_H
#define _ASM_WASM_PERCPU_H

/*
 * wasm-ld folds every ".data.*" section into .data, which would scatter
 * the per-CPU template through it.  Under a name of its own each per-CPU
 * section stays a segment, which head.c orders and the build checks.
 */
#define PER_CPU_BASE_SECTION	"percpu"

#include <asm-generic/percpu.h>

#endif /* _ASM_WASM_PERCPU_H */
