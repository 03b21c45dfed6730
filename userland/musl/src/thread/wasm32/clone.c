/*
 * clone for wasmlinux.
 *
 * A wasm call stack cannot be copied, so a child never returns from this
 * call: the kernel starts it in a fresh instance of this program, at
 * __wasm_clone_entry(sp, tls) (crt_arch.h), with its stack pointer at the
 * stack given here. With CLONE_VM the instance runs on this (shared)
 * memory; without, on the host's copy of it, made during the call, where
 * the stack and everything below are at the same addresses.
 *
 * A fresh instance has its own globals: the thread pointer and __tls_base
 * must be given to it. The kernel passes tls on as the child's thread
 * pointer. What the child's __tls_base becomes waits for it on its stack
 * with the function and argument (see __wasm_clone_start_c in crt1.c):
 *
 *   - CLONE_SETTLS with a thread descriptor made by pthread_create: the
 *     TLS block __copy_tls placed for it (dtv[1]), which the child then
 *     initialises;
 *   - otherwise (posix_spawn, vfork): the caller's own thread pointer and
 *     TLS block, shared as they are after a vfork on Linux.
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
	void *tls = 0, *block = __builtin_wasm_tls_base();
	int init = 0;
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

	if (flags & CLONE_SETTLS) {
		pthread_t td = tls;
		if (td && td->self == td && td->dtv) {
			block = (void *)td->dtv[1];
			init = 1;
		}
	} else {
		tls = (void *)__get_tp();
	}

	sp[0] = (void *)func;
	sp[1] = arg;
	sp[2] = block;
	sp[3] = (void *)(uintptr_t)init;
	return __syscall(SYS_clone, flags, sp, ptid, ctid, tls);
}
