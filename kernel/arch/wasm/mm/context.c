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

/*
 * A fork child's memory: the host copies the parent's, at the same
 * addresses (each process has a wasm memory of its own, so no MMU is
 * needed for that), and the child keeps the parent's argument strings for
 * /proc.  dup_mm() copied the rest of the mm.
 */
int wasm_fork_mm(struct mm_struct *mm)
{
	struct mm_struct *old = current->mm;
	long err;

	if (!old || mm == old)
		return -EINVAL;
	err = wasm_host_fork_memory(mm->context.host_id);
	if (err)
		return err;
	if (old->context.args) {
		mm->context.args = kvmemdup(old->context.args,
					    old->context.args_len, GFP_KERNEL);
		if (mm->context.args)
			mm->context.args_len = old->context.args_len;
	}
	return 0;
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

atomic_t wasm_mm_live[WASM_MM_LIVE_SLOTS];

/*
 * A new mm gets the next unused id whose live slot is free, so that while
 * fewer than WASM_MM_LIVE_SLOTS mms live each has a slot of its own and
 * the host learns of its end exactly: a slot shared with a long-lived
 * process (init, a shell) would keep every memory that lands on it from
 * being reused.  Ids skipped stay unused; they are never reused anyway.
 */
int init_new_context(struct task_struct *tsk, struct mm_struct *mm)
{
	unsigned long id;
	int tries = WASM_MM_LIVE_SLOTS;

	do {
		id = atomic_long_inc_return(&wasm_mm_host_ids);
		if (!atomic_cmpxchg(wasm_mm_live_slot(id), 0, 1))
			goto found;
	} while (--tries);
	/* Every slot is taken: share one, the count keeps it correct. */
	atomic_inc(wasm_mm_live_slot(id));
found:
	mm->context.host_id = id;
	mm->context.args = NULL;
	mm->context.args_len = 0;
	return 0;
}

/*
 * The host keeps each process's program and memory until its mm goes; the
 * worker that made the memory reuses it once the live count says so.
 */
void destroy_context(struct mm_struct *mm)
{
	kvfree(mm->context.args);
	mm->context.args = NULL;
	wasm_host_mm_release(mm->context.host_id);
	atomic_dec(wasm_mm_live_slot(mm->context.host_id));
}
