// SPDX-License-Identifier: GPL-2.0
/*
 * musl's vfork (Asyncify): the child runs on the parent's memory and stack
 * until it execs or exits; the parent resumes with the pid. Reached
 * directly, through a function pointer (as BusyBox calls its applets, which
 * wasmlinux-cc's call-graph plan must find), from deep recursion, nested
 * (a vfork child that vforks), and many times over. Run as /init by
 * test/e2e/musl-vfork.test.ts.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int shared_var;
static int exec_errno;

/* vfork, then exec argv (or _exit(code) if argv is NULL); returns the status. */
static __attribute__((noinline)) int run(char **argv, int code)
{
	int status = -1;
	pid_t pid = vfork();

	if (pid == 0) {
		shared_var++;
		if (!argv)
			_exit(code);
		execve(argv[0], argv, environ);
		exec_errno = errno;
		_exit(127);
	}
	if (pid < 0)
		return -1000 - errno;
	if (waitpid(pid, &status, 0) != pid)
		return -2000;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static int cmd_echo(char **argv)
{
	char *av[] = { "/init", "echo", argv[0], NULL };

	return run(av, 0);
}

static int cmd_exit(char **argv)
{
	return run(NULL, atoi(argv[0]));
}

/* The BusyBox shape: the vfork is reached through an indirect call. */
static const struct {
	const char *name;
	int (*fn)(char **);
} table[] = { { "echo", cmd_echo }, { "exit", cmd_exit } };

static volatile int which = 1;

static int dispatch(const char *name, char **argv)
{
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].fn(argv);
	return -1;
}

static __attribute__((noinline)) int deep(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth > 0)
		return deep(depth - 1) + frame[0] - depth;
	return run(NULL, 9);
}

static int nested(void)
{
	int status = -1;
	pid_t pid = vfork();

	if (pid == 0) {
		/* The child vforks a grandchild before it exits. */
		char *av[] = { "/init", "echo", "grandchild", NULL };

		_exit(run(av, 0) + 20);
	}
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	char *echo_args[] = { "via-table", NULL };
	char *exit_args[] = { "7", NULL };
	char *missing[] = { "/no/such/program", NULL };
	int local = 100, failures = 0, status;
	char *sp_before, *sp_after;

	if (argc > 2 && strcmp(argv[1], "echo") == 0) {
		printf("echo: %s pid %d ppid %d\n", argv[2], getpid(), getppid());
		return 5;
	}

	status = run(NULL, 42);
	printf("direct: status %d shared %d local %d\n", status, shared_var, local);
	printf("table: echo %d exit %d\n", dispatch("echo", echo_args),
	       dispatch(which ? "exit" : "echo", exit_args));
	printf("exec-fails: status %d errno %s\n", run(missing, 0), strerror(exec_errno));
	printf("deep: status %d\n", deep(40));
	printf("nested: status %d\n", nested());

	sp_before = (char *)__builtin_frame_address(0);
	for (int i = 0; i < 200; i++)
		if (run(NULL, i & 63) != (i & 63))
			failures++;
	sp_after = (char *)__builtin_frame_address(0);
	printf("loop: failures %d shared %d frame-same %d\n", failures, shared_var,
	       sp_before == sp_after);

	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
