/* SPDX-License-Identifier: GPL-2.0 */
/*
 * posix_spawn the hard way, for guest test programs without a C library:
 * clone(CLONE_VM | CLONE_VFORK) a child that execs, then wait4 for it.
 * The program must be linked with --shared-memory and clone-entry.S.
 */
#ifndef WASMLINUX_SPAWN_H
#define WASMLINUX_SPAWN_H

#include <linux/sched.h>
#include <asm/signal.h>
#include "sys.h"

static char spawn_stack[16384] __attribute__((aligned(16)));
static const char *spawn_path;
static char *const *spawn_argv;

void clone_child_main(void);

/* Runs in the child: a fresh instance of the program on the same memory. */
void clone_child_main(void)
{
	static char *const envp[] = { 0 };

	sys3(__NR_execve, (long)spawn_path, (long)spawn_argv, (long)envp);
	sys1(__NR_exit, 127);
}

/* Returns the wait status, or -errno. */
static inline int spawn_wait(const char *path, char *const *argv)
{
	int status = -1;
	long pid;

	spawn_path = path;
	spawn_argv = argv;
	pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
			     (long)(spawn_stack + sizeof(spawn_stack)), 0, 0,
			     (long)__builtin_wasm_tls_base(), 0);
	if (pid < 0)
		return pid;
	if (sys4(__NR_wait4, pid, (long)&status, 0, 0) != pid)
		return -1;
	return status;
}

#endif
