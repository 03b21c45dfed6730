// SPDX-License-Identifier: GPL-2.0
// vfork() for wasmlinux on top of binaryen's Asyncify (prototype; see docs/vfork.md).
//
// Parent: vfork() starts an unwind; every instrumented frame between main
// and vfork saves its locals into a buffer just below the stack pointer and
// returns. The runtime (__wasm_start_c, not instrumented) gets control back
// when main "returns", copies the buffer for the child, and calls
// clone(CLONE_VM|CLONE_VFORK) with the copy as the child's stack. The child
// instance starts at __wasm_clone_entry and rewinds main from the copy, so
// vfork() returns 0 there. When the child has exec'd or exited the parent's
// clone returns; it rewinds main from its own buffer and vfork() returns the pid.

#include <linux/sched.h>
#include <asm/signal.h>
#include "sys.h"

#define AS(name) __attribute__((import_module("asyncify"), import_name(#name)))
AS(start_unwind) void asyncify_start_unwind(void *);
AS(stop_unwind) void asyncify_stop_unwind(void);
AS(start_rewind) void asyncify_start_rewind(void *);
AS(stop_rewind) void asyncify_stop_rewind(void);

unsigned long __vfork_get_sp(void);
void __vfork_set_sp(unsigned long);
unsigned long __vfork_get_tls(void);

#ifndef VFORK_BUF
#define VFORK_BUF 8192		/* per buffer, header included */
#endif

enum { VF_IDLE, VF_UNWINDING, VF_REWINDING };

struct vfork_ctx {
	unsigned long pos, end;	/* asyncify's header: must be first */
	long result;		/* what vfork() returns after the rewind */
	int state;
	unsigned long sp;	/* __stack_pointer when vfork() was called */
	unsigned long pad[3];	/* keep data 16-byte aligned (not required) */
	unsigned char data[];
};

/* The vfork in progress. Shared memory, but parent and child never run at
 * the same time (CLONE_VFORK); in a threaded libc this belongs in the
 * thread descriptor, which the child borrows like the stack. */
static struct vfork_ctx *vfork_cur;

unsigned long vfork_buffer_used;	/* statistics for the prototype */
long long vfork_total_ns, vfork_clone_ns;
#ifdef VFORK_STATS
#include <linux/time.h>
static long long vf_now(void)
{
	struct __kernel_timespec ts;

	__wasm_syscall(__NR_clock_gettime64, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static long long vf_t0;
#define STAT(x) x
#else
#define STAT(x)
#endif

__attribute__((noinline)) long vfork(void)
{
	struct vfork_ctx *c = vfork_cur;
	unsigned long sp;

	if (c && c->state == VF_REWINDING) {
		/* Second return: in the child (0) or the parent (pid). */
		asyncify_stop_rewind();
		c->state = VF_IDLE;
		STAT(if (c->result) vfork_total_ns += vf_now() - vf_t0);
		return c->result;
	}
	STAT(vf_t0 = vf_now());
	sp = __vfork_get_sp();
	c = (struct vfork_ctx *)((sp & ~15UL) - VFORK_BUF);
	c->pos = (unsigned long)c->data;
	c->end = (unsigned long)c + VFORK_BUF;
	c->state = VF_UNWINDING;
	c->sp = sp;
	vfork_cur = c;
	asyncify_start_unwind(c);
	return 0; /* not seen: the caller unwinds */
}

int main(int argc, char **argv, char **envp);

/* The program's runtime: runs main, and serves vforks that unwind out of it. */
void __wasm_start_c(long *sp);
void __wasm_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	long ret;

	for (;;) {
		struct vfork_ctx *c, *cc;
		unsigned long *s, *d, n;
		long pid;

		ret = main(argc, argv, argv + argc + 1);
		c = vfork_cur;
		if (!c || c->state != VF_UNWINDING)
			break;
		asyncify_stop_unwind();
		vfork_buffer_used = c->pos - (unsigned long)c->data;
		/* Calls from here on must not touch the two buffers. */
		cc = (struct vfork_ctx *)((char *)c - VFORK_BUF);
		__vfork_set_sp((unsigned long)cc);
		/* The child's copy, rebased. */
		s = (unsigned long *)c;
		d = (unsigned long *)cc;
		for (n = 0; n < (c->pos - (unsigned long)c) / sizeof(long); n++)
			d[n] = s[n];
		cc->pos = c->pos - (unsigned long)c + (unsigned long)cc;
		cc->end = (unsigned long)cc + VFORK_BUF;
		cc->result = 0;
		cc->state = VF_REWINDING;
		STAT(long long t = vf_now());
		pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | CLONE_SETTLS | SIGCHLD,
				     (long)cc, 0, 0, __vfork_get_tls(), 0);
		STAT(vfork_clone_ns += vf_now() - t);
		/* The child has exec'd or exited (or clone failed). */
		c->result = pid;
		c->state = VF_REWINDING;
		vfork_cur = c;
		__vfork_set_sp(c->sp);
		asyncify_start_rewind(c);
	}
	sys1(__NR_exit_group, ret);
}

/* The child: a fresh instance, stack pointer and TLS already set. */
void __vfork_child(struct vfork_ctx *cc);
void __vfork_child(struct vfork_ctx *cc)
{
	if (cc->state == 3) {	/* a plain clone child (benchmark): run fn(arg) */
		void (*fn)(void *) = (void (*)(void *))cc->pos;

		fn((void *)cc->end);
		sys1(__NR_exit, 0);
	}
	vfork_cur = cc;
	asyncify_start_rewind(cc);
	/* A vfork child must not return from the function that called vfork. */
	sys1(__NR_exit, main(0, 0, 0));
}
