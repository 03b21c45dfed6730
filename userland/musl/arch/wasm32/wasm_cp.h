/*
 * Cancellation-point state of the calling thread: __wasm_cp, a wasm global
 * of the instance (wasm_global.h), defined in crt1.c.
 *
 * WASM_CP_IN_CALL: the thread is inside a cancellable system call
 * (__syscall_cp_asm). WASM_CP_INTERRUPTED: inside a signal handler, the
 * code the handler interrupted was; __wasm_sigentry (crt1.c) sets it for
 * the handler's duration, so that SIGCANCEL's handler knows whether the
 * call it interrupted may be abandoned (src/thread/wasm32/pthread_cancel.c).
 */

#define WASM_CP_IN_CALL		1
#define WASM_CP_INTERRUPTED	2

/* sc_flags of a signal frame (the kernel's uapi asm/sigcontext.h). */
#define WASM_SC_SYSCALL		0x1
#define WASM_SC_EINTR		0x2
