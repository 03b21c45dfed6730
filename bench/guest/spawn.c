// SPDX-License-Identifier: GPL-2.0
/*
 * Spawn benchmark, run as /init: N times clone(CLONE_VM|CLONE_VFORK) a
 * child that execs /bin/true, and wait4 for it. Prints the rate measured
 * with CLOCK_MONOTONIC, then powers off. Built for the host too (SPAWN_NATIVE),
 * with vfork + execve, for the ratio.
 */

#ifdef SPAWN_NATIVE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#else
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <asm/signal.h>
#include "io.h"
#endif

#define N 1000

#ifndef SPAWN_NATIVE
static char child_stack[16384] __attribute__((aligned(16)));

void clone_child_main(void);

void clone_child_main(void)
{
	static char *const argv[] = { "/bin/true", 0 };
	static char *const envp[] = { 0 };

	sys3(__NR_execve, (long)argv[0], (long)argv, (long)envp);
	sys1(__NR_exit, 127);
}

static long long now_ns(void)
{
	struct __kernel_timespec ts;

	__wasm_syscall(__NR_clock_gettime64, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void __wasm_start_c(long *sp);

void __wasm_start_c(long *sp)
{
	long long start, ns;
	int i, status, failed = 0;

	(void)sp;
	start = now_ns();
	for (i = 0; i < N; i++) {
		long pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
					  (long)(child_stack + sizeof(child_stack)),
					  0, 0, (long)__builtin_wasm_tls_base(), 0);

		if (pid < 0 || sys4(__NR_wait4, pid, (long)&status, 0, 0) != pid ||
		    status != 0)
			failed++;
	}
	ns = now_ns() - start;
	put("spawns: ");
	put_num(N);
	put(" failed: ");
	put_num(failed);
	put(" ns: ");
	put_num(ns);
	put("\n");
	sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	     LINUX_REBOOT_CMD_POWER_OFF, 0);
}
#else
int main(int argc, char **argv)
{
	struct timespec a, b;
	int i, status, failed = 0;
	const char *truebin = argc > 1 ? argv[1] : "/bin/true";

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < N; i++) {
		pid_t pid = vfork();

		if (pid == 0) {
			execl(truebin, truebin, (char *)0);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			failed++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("spawns: %d failed: %d ns: %lld\n", N, failed,
	       (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
#endif
