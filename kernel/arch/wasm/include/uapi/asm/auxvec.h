/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_WASM_AUXVEC_H
#define _UAPI_ASM_WASM_AUXVEC_H

/*
 * Where the memory a new program was started with ends: its arguments lie
 * just below, and everything above is the program's own to hand out (its
 * C library's mmap).  The memory itself may already be larger (the host
 * reuses the memories of processes that are gone), and is zero above.
 */
#define AT_WASM_MEMTOP	64

#endif /* _UAPI_ASM_WASM_AUXVEC_H */
