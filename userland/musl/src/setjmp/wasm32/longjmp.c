/*
 * longjmp is not supported on wasm32 yet (see setjmp.c): say so on stderr
 * and abort, which kills the process with SIGABRT, instead of continuing
 * past a setjmp whose stack frames no longer exist.
 */

#include <setjmp.h>
#include <stdlib.h>
#include "syscall.h"

static const char msg[] = "longjmp: not supported on wasm32 yet, aborting\n";

_Noreturn void longjmp(jmp_buf buf, int val)
{
	__syscall(SYS_write, 2, msg, sizeof msg - 1);
	abort();
}

_Noreturn void _longjmp(jmp_buf buf, int val)
{
	longjmp(buf, val);
}
