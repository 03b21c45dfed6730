/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_WASM_SIGCONTEXT_H
#define _UAPI_ASM_WASM_SIGCONTEXT_H

/*
 * A wasm signal frame carries no machine registers; it only records what
 * sigreturn must restore (the blocked mask lives in ucontext), and, in
 * place of a program counter a handler could move, these flags.
 */
struct sigcontext {
	unsigned long sc_flags;
};

/*
 * Set by the kernel: the signal interrupted a system call that has not
 * completed; after the handler it will be made again (SA_RESTART) or
 * fail with EINTR.
 */
#define WASM_SC_SYSCALL		0x1
/*
 * Set by the handler in such a frame: make that call fail with EINTR
 * instead of restarting it (thread cancellation acts on that).
 */
#define WASM_SC_EINTR		0x2

#endif /* _UAPI_ASM_WASM_SIGCONTEXT_H */
