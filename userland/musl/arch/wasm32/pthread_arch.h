/*
 * The thread pointer.
 *
 * wasm has no thread register. A process has one thread for now, so the
 * thread pointer is a plain variable in the process's memory, set by
 * __set_thread_area (src/thread/wasm32/__set_thread_area.c). Threads will
 * need a per-instance wasm global instead.
 */

extern hidden uintptr_t __wasm_thread_pointer;

static inline uintptr_t __get_tp(void)
{
	return __wasm_thread_pointer;
}

/*
 * wasm has no program counter to save in a signal frame: the kernel's
 * struct sigcontext has only sc_flags. The cancellation handler
 * compares "the pc" against __cp_begin/__cp_end, which sc_flags never falls
 * between (see src/thread/wasm32/syscall_cp.c).
 */
#define MC_PC sc_flags
