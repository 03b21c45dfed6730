/*
 * Cancellable system calls, in C instead of the usual assembly.
 *
 * Elsewhere the signal handler for SIGCANCEL looks at the interrupted
 * program counter to see whether a thread was blocked between __cp_begin and
 * __cp_end. wasm has no such program counter (and handlers do not run yet),
 * so cancellation is only acted on here, when a cancellation point starts:
 * the markers below are never matched.
 */

#include "pthread_impl.h"
#include "syscall.h"

hidden const char __cp_begin[1], __cp_end[1], __cp_cancel[1];

hidden long __cancel(void);

hidden long __syscall_cp_asm(volatile int *cancel, syscall_arg_t nr,
                             syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                             syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	if (*cancel) return __cancel();
	return __syscall(nr, u, v, w, x, y, z);
}
