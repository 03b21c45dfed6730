/* The thread pointer is a wasm global of the instance (arch/wasm32/pthread_arch.h). */

#include "pthread_impl.h"

WASM_GLOBAL_DEFINE(__wasm_tp);

int __set_thread_area(void *p)
{
	WASM_GLOBAL_SET(__wasm_tp, p);
	return 0;
}
