/*
 * sigsetjmp on wasm32 is a macro (the setjmp.h patch) around a setjmp the
 * compiler lowers in the caller: (buf)->__fl = save, then setjmp(buf), then
 * this with its value. After the first return it saves the signal mask,
 * after a jump back it restores it; siglongjmp is then plain longjmp, as
 * in musl's generic code.
 */

#include <setjmp.h>
#include <signal.h>
#include "syscall.h"

#undef sigsetjmp

int __wasm_sigsetjmp_tail(sigjmp_buf buf, int ret)
{
	void *p = buf->__ss;

	if (buf->__fl)
		__syscall(SYS_rt_sigprocmask, SIG_SETMASK, ret ? p : 0,
			  ret ? 0 : p, _NSIG / 8);
	return ret;
}

/* Only reached through a pointer: like setjmp.c's, it returns once. */
int sigsetjmp(sigjmp_buf buf, int save)
{
	buf->__fl = 0;
	return setjmp(buf);
}
