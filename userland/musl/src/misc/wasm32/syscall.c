/*
 * syscall(2) for wasm32.
 *
 * musl's generic version reads each variadic argument as a syscall_arg_t,
 * which is 64-bit here; callers pass ints, longs and pointers, which wasm32
 * lays out as 32-bit words in the variadic area. So read longs: like on other
 * 32-bit systems, syscall() cannot pass a 64-bit argument (use the libc
 * function instead: lseek, pread, ftruncate, ...).
 */

#define _BSD_SOURCE
#include <unistd.h>
#include <stdarg.h>
#include "syscall.h"

#undef syscall

long syscall(long n, ...)
{
	va_list ap;
	long a, b, c, d, e, f;

	va_start(ap, n);
	a = va_arg(ap, long);
	b = va_arg(ap, long);
	c = va_arg(ap, long);
	d = va_arg(ap, long);
	e = va_arg(ap, long);
	f = va_arg(ap, long);
	va_end(ap);
	return __syscall_ret(__syscall(n, a, b, c, d, e, f));
}
