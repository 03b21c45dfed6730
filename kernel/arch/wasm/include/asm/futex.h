/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_FUTEX_H
#define _ASM_WASM_FUTEX_H

/*
 * Futex operations on user memory.
 *
 * A process's memory is its own wasm memory, which the kernel reaches only
 * through the host, and the process's other threads run on other host
 * threads at the same time.  So a futex read-modify-write cannot be a
 * get_user()/put_user() pair, as asm-generic's uniprocessor version is:
 * the host does it as one Atomics operation on the process's memory.
 */

#include <linux/futex.h>
#include <linux/uaccess.h>
#include <asm/errno.h>
#include <asm/host.h>

static inline int
arch_futex_atomic_op_inuser(int op, u32 oparg, int *oval, u32 __user *uaddr)
{
	u32 old;
	int ret;

	if (op < FUTEX_OP_SET || op > FUTEX_OP_XOR)
		return -ENOSYS;
	ret = wasm_host_futex_op(op, uaddr, oparg, &old);
	if (!ret)
		*oval = old;
	return ret;
}

static inline int
futex_atomic_cmpxchg_inatomic(u32 *uval, u32 __user *uaddr, u32 oldval,
			      u32 newval)
{
	return wasm_host_futex_cmpxchg(uaddr, oldval, newval, uval);
}

#endif /* _ASM_WASM_FUTEX_H */
