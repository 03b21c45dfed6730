/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_WASM_PTRACE_H
#define _UAPI_ASM_WASM_PTRACE_H

/* wasm user code has no registers visible to a tracer. */

#endif /* _UAPI_ASM_WASM_PTRACE_H */
