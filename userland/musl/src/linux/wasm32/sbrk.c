/* sbrk for wasm32: see brk.c. */

#define _BSD_SOURCE
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include "syscall.h"

void *sbrk(intptr_t inc)
{
	uintptr_t cur = __syscall(SYS_brk, 0);

	if (!inc) return (void *)cur;
	if ((inc > 0 && cur + inc < cur) || (inc < 0 && cur + inc > cur)
	    || (uintptr_t)__syscall(SYS_brk, cur + inc) != cur + inc)
		return (void *)__syscall_ret(-ENOMEM);
	return (void *)cur;
}
