/*
 * Like setjmp (src/setjmp/wasm32/setjmp.c): returns 0 and nothing more, since
 * there is no longjmp back to it yet.
 */

#include <setjmp.h>

int sigsetjmp(sigjmp_buf buf, int savemask)
{
	return 0;
}
