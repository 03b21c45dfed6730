/*
 * The thread pointer.
 *
 * wasm has no thread register. Each thread runs in its own instance of the
 * program (see crt_arch.h), so the thread pointer is a wasm global of the
 * instance, __wasm_tp (wasm_global.h), set by __set_thread_area for the
 * first thread and by __wasm_clone_entry for every other.
 */

#include "wasm_global.h"

static inline uintptr_t __get_tp(void)
{
	return WASM_GLOBAL_GET(__wasm_tp);
}

/*
 * wasm has no program counter to save in a signal frame: the kernel's
 * struct sigcontext has only sc_flags, which say whether the signal
 * interrupted a system call that has not completed, and through which a
 * handler can make that call fail with EINTR. Thread cancellation uses
 * them instead of a program counter (src/thread/wasm32/pthread_cancel.c).
 */
#define MC_PC sc_flags
