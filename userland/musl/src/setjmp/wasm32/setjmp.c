/*
 * setjmp for wasm32 (docs/setjmp.md).
 *
 * A wasm function cannot return twice, and no code can reach into its
 * callers' frames. So the compiler does the work in each function that
 * calls setjmp (wasmlinux-cc passes -mllvm -enable-emscripten-sjlj): there
 * setjmp becomes a call of __wasm_setjmp below, which records which call
 * site it was and in which invocation of the function (the address of a
 * slot in the function's stack frame), and every other call the function
 * makes goes through an invoke (env.invoke_*, which wasmlinux-cc turns
 * into a function of the program with a try block around the call).
 * longjmp (longjmp.c) throws through the wasm frames above to the nearest
 * such call, which catches it; the function then asks __wasm_setjmp_test whether the
 * jump is for one of its own setjmp calls, and either goes on after that
 * call, with setjmp's value from getTempRet0(), or throws again.
 *
 * These names are the ones the compiler emits calls to.
 */

#include <setjmp.h>
#include <stdint.h>
#include "wasm_global.h"

/* The jump in flight, per thread: which buffer and the value. */
_Thread_local uintptr_t __THREW__;
_Thread_local int __threwValue;
static _Thread_local int tempret;

/* What a jmp_buf holds on wasm32 (bits/setjmp.h has room for it). */
struct wasm_jmp {
	uintptr_t invocation;
	uint32_t label;
	uintptr_t sp;
};

/*
 * Neither function below has a stack frame of its own (nothing in them
 * lives in memory), so the stack pointer they see and set is their
 * caller's: the function that called setjmp.
 */
void __wasm_setjmp(void *env, uint32_t label, void *invocation)
{
	struct wasm_jmp *j = env;

	j->invocation = (uintptr_t)invocation;
	j->label = label;
	j->sp = WASM_GLOBAL_GET(__stack_pointer);
}

/*
 * The call site to go on from in this invocation, or 0: not ours. Every
 * function that catches a jump asks, so the jump is no longer in flight
 * (if not ours, it is thrown again, which says so again). The frames the
 * jump crossed skipped their epilogues, which leaves the stack pointer
 * below them: harmless while the jump goes on up (new frames land in dead
 * ones), but the function it is for gets back the stack pointer it had.
 */
uint32_t __wasm_setjmp_test(void *env, void *invocation)
{
	struct wasm_jmp *j = env;

	WASM_GLOBAL_SET(__wasm_jumping, 0);
	if (j->invocation != (uintptr_t)invocation)
		return 0;
	WASM_GLOBAL_SET(__stack_pointer, j->sp);
	return j->label;
}

void setTempRet0(int v)
{
	tempret = v;
}

int getTempRet0(void)
{
	return tempret;
}

/*
 * Only a setjmp the compiler did not lower comes here: one called through
 * a pointer. It returns 0 once, and a longjmp to its buffer matches no
 * function on the stack, which kills the program with SIGSEGV rather than
 * going on somewhere undefined.
 */
int setjmp(jmp_buf buf)
{
	((struct wasm_jmp *)buf)->invocation = 0;
	return 0;
}

int _setjmp(jmp_buf buf)
{
	return setjmp(buf);
}
