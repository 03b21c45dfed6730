/* The thread pointer is a variable for now (see arch/wasm32/pthread_arch.h). */

#include "pthread_impl.h"

hidden uintptr_t __wasm_thread_pointer;

int __set_thread_area(void *p)
{
	__wasm_thread_pointer = (uintptr_t)p;
	return 0;
}
