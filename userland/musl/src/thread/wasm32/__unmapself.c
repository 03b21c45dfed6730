/*
 * A detached thread's exit: its stack must be freed, but it is running on
 * it, and wasm code cannot switch to another stack first. So the stack is
 * freed later, by whichever thread next maps or unmaps memory, once the
 * kernel has said that this thread is gone: the thread records its mapping
 * in the mapping's first bytes (far below the frames it still uses at the
 * top), asks the kernel to clear the record's tid at its exit
 * (set_tid_address, done once the thread can no longer run user code),
 * puts the record on a list (__wasm_mm.c reaps it) and exits.
 *
 * pthread_exit holds the thread list lock here and expects the kernel to
 * release it at the exit (its clear_child_tid); that now points at the
 * record, so the lock is released here, the last thing before the exit.
 * Every signal is blocked, and nothing below touches libc state.
 */

#include "pthread_impl.h"
#include "syscall.h"
#include "wasm_mm.h"

void __unmapself(void *base, size_t size)
{
	struct __wasm_dead_stack *d = base;

	d->base = base;
	d->size = size;
	d->tid = __pthread_self()->tid;
	__syscall(SYS_set_tid_address, &d->tid);
	__wasm_mm_free_later(d);
	__tl_unlock();
	for (;;) __syscall(SYS_exit, 0);
}
