/*
 * vfork for wasmlinux, built on binaryen's Asyncify transform
 * (docs/vfork.md has the design, the measurements and the pitfalls).
 *
 * vfork returns twice, but a wasm call stack cannot be copied or re-entered,
 * and a clone()d child starts in a fresh instance of the program. Asyncify
 * turns the call stack into data: vfork() starts an "unwind", every frame
 * between main and vfork saves its locals into a buffer and returns, and the
 * loop around main (run_main below) gets control. It copies the buffer and
 * calls clone(CLONE_VM | CLONE_VFORK). The child instance "rewinds" main from
 * the copy, so there vfork() returns 0 on the parent's stack and memory; when
 * the child has exec'd or exited, the parent rewinds from its own buffer and
 * vfork() returns the child's pid.
 *
 * fork() works the same way (_Fork's system call is __wasm_fork below),
 * except that the child runs on the host's copy of this memory, made during
 * clone(): the saved frames are there at the same addresses, so it rewinds
 * from that same buffer, and the parent rewinds at once, without waiting.
 *
 * A program that references vfork or fork imports the asyncify.* functions
 * below; wasmlinux-cc then runs wasm-opt --asyncify over it, which replaces
 * those imports with its own code. Only functions that can reach vfork or
 * __wasm_fork are instrumented, so programs that never do pay nothing.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pthread_impl.h"
#include "syscall.h"
#include "wasm_mm.h"

#define ASYNCIFY(name) \
	__attribute__((import_module("asyncify"), import_name(#name)))

ASYNCIFY(start_unwind) void __asyncify_start_unwind(void *);
ASYNCIFY(stop_unwind) void __asyncify_stop_unwind(void);
ASYNCIFY(start_rewind) void __asyncify_start_rewind(void *);
ASYNCIFY(stop_rewind) void __asyncify_stop_rewind(void);

/*
 * Room for the saved frames, one buffer for the parent and one for the
 * child's copy, both taken from the stack just below the stack pointer at
 * vfork(). A shell several functions deep saves a few KiB.
 */
#define VFORK_BUF 65536

enum { VF_IDLE, VF_UNWINDING, VF_REWINDING };

struct vfork_ctx {
	/* Asyncify's header: where the next saved byte goes, and the limit. */
	uintptr_t pos, end;
	/* What vfork() returns after the rewind: 0, a pid or -errno. */
	long result;
	int state;
	/* A fork: the child gets a copy of the memory, the parent goes on. */
	int fork;
	/* __stack_pointer when vfork() was called, restored before the rewind. */
	uintptr_t sp;
} __attribute__((aligned(16)));

/*
 * The vfork being served. Parent and child never run at the same time
 * (CLONE_VFORK), and the child borrows the parent's only thread. After a
 * fork each has a copy of its own.
 */
static struct vfork_ctx *cur;

/* __stack_pointer is a wasm global: only assembly can read or set it. */
hidden uintptr_t __vfork_get_sp(void);
hidden void __vfork_set_sp(uintptr_t);

__asm__(
"	.globaltype __stack_pointer, i32\n"
"	.section .text.__vfork_get_sp,\"\",@\n"
"	.hidden __vfork_get_sp\n"
"	.globl __vfork_get_sp\n"
"	.type __vfork_get_sp,@function\n"
"__vfork_get_sp:\n"
"	.functype __vfork_get_sp () -> (i32)\n"
"	global.get __stack_pointer\n"
"	end_function\n"
"	.section .text.__vfork_set_sp,\"\",@\n"
"	.hidden __vfork_set_sp\n"
"	.globl __vfork_set_sp\n"
"	.type __vfork_set_sp,@function\n"
"__vfork_set_sp:\n"
"	.functype __vfork_set_sp (i32) -> ()\n"
"	local.get 0\n"
"	global.set __stack_pointer\n"
"	end_function\n"
);

/*
 * The first call starts the unwind; the second, during the rewind, ends it
 * and returns what the loop below left: 0 in the child, the pid or -errno
 * in the parent. Inlined into vfork() and __wasm_fork(), so that each calls
 * Asyncify itself: Asyncify leaves such a function alone and instruments
 * its callers.
 */
static inline __attribute__((always_inline)) long unwind_or_return(int fork)
{
	struct vfork_ctx *c = cur;
	uintptr_t sp;

	if (c && c->state == VF_REWINDING) {
		__asyncify_stop_rewind();
		c->state = VF_IDLE;
		cur = 0;
		return c->result;
	}
	/* A copy of the memory would silently stop sharing those pages. */
	if (fork && __wasm_mm_shared())
		return -ENOMEM;
	sp = __vfork_get_sp();
	c = (struct vfork_ctx *)((sp & -16) - VFORK_BUF);
	c->pos = (uintptr_t)(c + 1);
	c->end = (uintptr_t)c + VFORK_BUF;
	c->result = 0;
	c->state = VF_UNWINDING;
	c->fork = fork;
	c->sp = sp;
	cur = c;
	__asyncify_start_unwind(c);
	return 0;	/* not seen by the caller, which unwinds */
}

/* Not inlined: its callers are what Asyncify must instrument. */
__attribute__((noinline)) pid_t vfork(void)
{
	return __syscall_ret(unwind_or_return(0));
}

/* _Fork()'s system call (patches/0003): 0 in the child, else the pid or -errno. */
__attribute__((noinline)) hidden long __wasm_fork(void)
{
	return unwind_or_return(1);
}

int __main_void(void);

static int vfork_child(void *);
static int fork_child(void *);

/*
 * The loop around main. It calls Asyncify's stop_unwind and start_rewind
 * itself, which is what keeps it (and everything below it) uninstrumented:
 * the unwind ends here. rewind is the context to rewind main from first
 * (a vfork child), or null.
 */
static int run_main(struct vfork_ctx *rewind)
{
	for (;;) {
		struct vfork_ctx *c, *cc;
		uintptr_t *frame;
		long pid;
		int ret;

		if (rewind) {
			cur = rewind;
			__asyncify_start_rewind(rewind);
		}
		ret = __main_void();
		c = cur;
		if (!c || c->state != VF_UNWINDING)
			return ret;
		__asyncify_stop_unwind();

		/*
		 * The child rewinds from a buffer of its own, on a stack just
		 * below it, with what its clone entry runs on top (as __clone
		 * leaves it). After a fork that is this very buffer, in the
		 * child's copy of the memory made during clone(); after a
		 * vfork, a copy just below ours. The stack pointer is still
		 * where the unwind began, above the buffers: move it below
		 * them before calling anything.
		 */
		cc = c->fork ? c : (struct vfork_ctx *)((char *)c - VFORK_BUF);
		frame = (uintptr_t *)cc - 4;
		__vfork_set_sp((uintptr_t)frame);
		if (cc != c) {
			memcpy(cc, c, c->pos - (uintptr_t)c);
			cc->pos = c->pos - (uintptr_t)c + (uintptr_t)cc;
			cc->end = (uintptr_t)cc + VFORK_BUF;
		}
		cc->result = 0;
		cc->state = VF_REWINDING;
		/* The child takes our thread pointer and TLS block (clone.c). */
		frame[0] = (uintptr_t)(c->fork ? fork_child : vfork_child);
		frame[1] = (uintptr_t)cc;
		frame[2] = (uintptr_t)__builtin_wasm_tls_base();
		frame[3] = 0;
		pid = __syscall(SYS_clone,
				c->fork ? SIGCHLD : CLONE_VM | CLONE_VFORK | SIGCHLD,
				frame, 0, 0, __get_tp());

		/*
		 * A vfork child has exec'd or exited by now, a fork child runs
		 * on by itself, or clone failed.
		 */
		c->result = pid;
		c->state = VF_REWINDING;
		__vfork_set_sp(c->sp);
		rewind = c;
	}
}

/* A vfork child: a new instance on the parent's memory, stack and TLS. */
static int vfork_child(void *cc)
{
	return run_main(cc);
}

/*
 * A fork child: a new instance on its copy of the memory. Its main
 * returning ends the process as it would have the parent: through exit().
 */
static int fork_child(void *c)
{
	exit(run_main(c));
}

/* Replaces crt1's weak version, which only calls main. */
int __wasm_run_main(void)
{
	return run_main(0);
}
