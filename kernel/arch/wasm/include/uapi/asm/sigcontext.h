/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_WASM_SIGCONTEXT_H
#define _UAPI_ASM_WASM_SIGCONTEXT_H

/*
 * A wasm signal frame carries no machine registers; it only records what
 * sigreturn must restore (the blocked mask lives in ucontext).
 */
struct sigcontext {
	unsigned long sc_flags;
};

#endif /* _UAPI_ASM_WASM_SIGCONTEXT_H */
