/*
 * longjmp for wasm32 (setjmp.c has the design). The host throws (clang
 * emits no throw without the exception-handling feature, whose try blocks
 * binaryen's Asyncify, for vfork and fork, cannot instrument); the
 * invokes wasmlinux-cc adds after Asyncify catch.
 */

#include <setjmp.h>
#include <stdint.h>
#include "syscall.h"
#include "wasm_global.h"

extern _Thread_local uintptr_t __THREW__;
extern _Thread_local int __threwValue;

/*
 * The compiler turns direct calls of longjmp into calls of this, and the
 * function that catches a jump not meant for it passes it on with it.
 */
_Noreturn void emscripten_longjmp(uintptr_t env, int val)
{
	__THREW__ = env;
	__threwValue = val ? val : 1;
	/*
	 * Until a function takes it (__wasm_setjmp_test): a system call
	 * returning meanwhile throws it on (syscall_arch.h).
	 */
	WASM_GLOBAL_SET(__wasm_jumping, 1);
	/*
	 * A jump out of a signal handler leaves the handler's state behind,
	 * and whatever system call the handler interrupted: the code at the
	 * setjmp is not in a cancellable call (wasm_cp.h).
	 */
	WASM_GLOBAL_SET(__wasm_cp, 0);
	__wasm_throw_longjmp();
}

_Noreturn void longjmp(jmp_buf buf, int val)
{
	emscripten_longjmp((uintptr_t)buf, val);
}

_Noreturn void _longjmp(jmp_buf buf, int val)
{
	emscripten_longjmp((uintptr_t)buf, val);
}
