// SPDX-License-Identifier: GPL-2.0
/*
 * Process memory as seen from other tasks.
 *
 * Each process has its own wasm memory, which only the worker running one
 * of its tasks can reach; a NOMMU kernel elsewhere reads another process's
 * memory directly (access_remote_vm: /proc/PID/cmdline, environ).  Here
 * execve() keeps a copy of the argument and environment strings, and
 * remote reads are served from it.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/host.h>
#include <asm/mmu_context.h>

/* More than a screenful of command line is rarely wanted from /proc. */
#define WASM_ARGS_KEEP_MAX	(64 * 1024)

/* Called by the binfmt once the strings are in the new process's memory. */
void wasm_mm_keep_args(struct mm_struct *mm)
{
	unsigned long len = mm->env_end - mm->arg_start;
	void *copy;

	if (mm->env_end < mm->arg_start || !len)
		return;
	len = min_t(unsigned long, len, WASM_ARGS_KEEP_MAX);
	copy = kvmalloc(len, GFP_KERNEL);
	if (!copy)
		return;
	if (copy_from_user(copy, (const void __user *)mm->arg_start, len)) {
		kvfree(copy);
		return;
	}
	kvfree(mm->context.args);
	mm->context.args = copy;
	mm->context.args_len = len;
}

int arch_access_remote_vm(struct mm_struct *mm, unsigned long addr, void *buf,
			  int len, unsigned int gup_flags)
{
	unsigned long start = mm->arg_start, off;

	if ((gup_flags & FOLL_WRITE) || !mm->context.args || len <= 0 ||
	    addr < start || addr - start >= mm->context.args_len)
		return 0;
	off = addr - start;
	len = min_t(unsigned long, len, mm->context.args_len - off);
	memcpy(buf, mm->context.args + off, len);
	return len;
}

/* The host keeps each process's program and memory until its mm goes. */
void destroy_context(struct mm_struct *mm)
{
	kvfree(mm->context.args);
	mm->context.args = NULL;
	wasm_host_mm_release(mm->context.host_id);
}
