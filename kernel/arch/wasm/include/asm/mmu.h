/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_MMU_H
#define _ASM_WASM_MMU_H

typedef struct {
	unsigned long end_brk;
	/*
	 * Names the process's program and memory to the host.  Unlike the
	 * mm's address it is never reused: the host hears about a new mm and
	 * the end of an old one from different workers, in either order.
	 */
	unsigned long host_id;
	/*
	 * A copy of the argument and environment strings as execve() laid
	 * them out at mm->arg_start: another task cannot reach the process's
	 * memory, so /proc/PID/cmdline and environ read this instead.
	 */
	void *args;
	unsigned long args_len;
} mm_context_t;

#endif /* _ASM_WASM_MMU_H */
