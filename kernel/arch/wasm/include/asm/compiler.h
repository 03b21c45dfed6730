/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_COMPILER_H
#define _ASM_WASM_COMPILER_H

/*
 * wasm has no return addresses: the call stack is not in linear memory
 * and cannot be walked.  Callers use the value only for diagnostics.
 */
#define __builtin_return_address(n)	((void *)0)

#endif /* _ASM_WASM_COMPILER_H */
