/*
 * brk for wasm32. musl normally refuses brk because its malloc may use the
 * same area; here malloc never does (patches/), and SYS_brk is emulated in
 * user space (src/mman/wasm32/__wasm_mm.c), so the program can have it.
 */

#define _BSD_SOURCE
#include <errno.h>
#include <unistd.h>
#include "syscall.h"

int brk(void *end)
{
	if ((unsigned long)__syscall(SYS_brk, end) != (unsigned long)end)
		return __syscall_ret(-ENOMEM);
	return 0;
}
