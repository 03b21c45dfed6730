/*
 * Cancellable system calls, in C instead of the usual assembly.
 *
 * Elsewhere SIGCANCEL's handler tells from the interrupted program counter
 * whether the thread was blocked between __cp_begin and __cp_end. wasm has
 * no such program counter, so the thread marks the call itself in its
 * instance's __wasm_cp global (wasm_cp.h), and the kernel says in the
 * signal frame whether the call was interrupted before it completed
 * (pthread_cancel.c). The markers below are never matched.
 *
 * __wasm_cp itself is defined in crt1.c, whose signal entry saves it: were
 * it defined here, every program would link this file and, through
 * __cancel, pthread_cancel.c, whose __syscall_cp replaces the plain one
 * (src/thread/__syscall_cp.c) even in programs that never cancel.
 */

#include "pthread_impl.h"
#include "syscall.h"
#include "wasm_cp.h"

hidden const char __cp_begin[1], __cp_end[1], __cp_cancel[1];

hidden long __cancel(void);

hidden long __syscall_cp_asm(volatile int *cancel, syscall_arg_t nr,
                             syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                             syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	unsigned long cp = WASM_GLOBAL_GET(__wasm_cp);
	long r;

	if (*cancel) return __cancel();
	WASM_GLOBAL_SET(__wasm_cp, cp | WASM_CP_IN_CALL);
	r = __syscall(nr, u, v, w, x, y, z);
	WASM_GLOBAL_SET(__wasm_cp, cp);
	return r;
}
