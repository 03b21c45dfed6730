/*
 * clone for wasmlinux.
 *
 * A wasm call stack cannot be copied, so a child never returns from this
 * call: the kernel starts it in a fresh instance of this program on the
 * same (shared) memory, at __wasm_clone_entry (crt_arch.h), with its stack
 * pointer at the stack given here. func and arg wait for it on top of that
 * stack. CLONE_VM is required (there is no MMU to copy memory with).
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <sched.h>
#include "pthread_impl.h"
#include "syscall.h"

int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	pid_t *ptid = 0, *ctid = 0;
	void *tls = 0;
	void **sp = (void **)(((uintptr_t)stack & -16) - 16);

	/* Only clone() passes these; posix_spawn passes none and sets no flag. */
	if (flags & (CLONE_PARENT_SETTID | CLONE_SETTLS | CLONE_CHILD_SETTID |
		     CLONE_CHILD_CLEARTID)) {
		va_start(ap, arg);
		ptid = va_arg(ap, pid_t *);
		tls = va_arg(ap, void *);
		ctid = va_arg(ap, pid_t *);
		va_end(ap);
	}

	/*
	 * A new instance starts with __tls_base 0: without a TLS block of its
	 * own the child shares the parent's, as a vfork child does.
	 */
	if (!(flags & CLONE_SETTLS)) {
		flags |= CLONE_SETTLS;
		tls = __builtin_wasm_tls_base();
	}

	sp[0] = (void *)func;
	sp[1] = arg;
	return __syscall(SYS_clone, flags, sp, ptid, ctid, tls);
}
