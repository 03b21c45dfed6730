/*
 * setjmp cannot be written in wasm: a function cannot return twice and code
 * cannot reach into the stack frames of its callers. It needs the compiler's
 * setjmp/longjmp lowering onto wasm exception handling, which wasmlinux does
 * not use yet. Until then setjmp only ever returns 0 (the direct return), so
 * code that never longjmps works unchanged; longjmp aborts (longjmp.c).
 */

#include <setjmp.h>

int setjmp(jmp_buf buf)
{
	return 0;
}

int _setjmp(jmp_buf buf)
{
	return 0;
}
