/*
 * A detached thread frees its own stack and exits. wasm code cannot switch
 * to another stack to do that, and there are no threads yet: just exit and
 * leave the memory in place.
 */

#include "pthread_impl.h"
#include "syscall.h"

void __unmapself(void *base, size_t size)
{
	for (;;) __syscall(SYS_exit, 0);
}
