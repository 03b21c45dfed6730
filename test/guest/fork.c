// SPDX-License-Identifier: GPL-2.0
/*
 * Process copies: clone() without CLONE_VM gives the child a copy of this
 * process's memory, at the same addresses, in a fresh instance of this
 * program. Each subcommand prints one line of what it found, for
 * test/e2e/fork.test.ts:
 *
 *   copy      a 32 MiB heap, a global and a stack array survive into the
 *             child byte for byte; what either side writes afterwards the
 *             other never sees
 *   nested    a copy's child makes a copy of its own
 *   many N    N copies made, exited and reaped in a row
 *   pipe      parent and child talk both ways through pipes
 *   fork      fork() returns twice, with copies apart (the rest use clone)
 *   forkmany N  N forks in a row, each exiting with its own status
 */

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAP_BYTES (32u << 20)
#define CHILD_STACK (64 * 1024)

static int global_word = 1;
static unsigned char *heap;

static uint32_t pattern(uint32_t i)
{
	return (i * 2654435761u) >> 24;
}

static uint32_t checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
 * clone() without CLONE_VM: fn(arg) runs in the child, on its own copy of
 * this memory, on a stack allocated here: the copy is made during the
 * call, so the child has the stack and this process can free its own.
 */
static pid_t copy_process(int (*fn)(void *), void *arg)
{
	char *stack = malloc(CHILD_STACK);
	pid_t pid;

	if (!stack) {
		perror("malloc");
		exit(2);
	}
	pid = clone(fn, stack + CHILD_STACK, SIGCHLD, arg);
	free(stack);
	if (pid < 0) {
		printf("clone: %s\n", strerror(errno));
		exit(3);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		printf("waitpid: %s\n", strerror(errno));
		exit(4);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct copy_args {
	uint32_t heap_sum;
	unsigned char *stack_array;
	uint32_t stack_sum;
};

/* Exit status: a bit for each thing that did not come through. */
static int copy_child(void *p)
{
	struct copy_args *a = p;
	int bad = 0;

	if (global_word != 1)
		bad |= 1;
	if (checksum(heap, HEAP_BYTES) != a->heap_sum)
		bad |= 2;
	if (checksum(a->stack_array, 256) != a->stack_sum)
		bad |= 4;
	/* Now scribble on all of it: the parent must not see any of this. */
	global_word = 2;
	memset(heap, 0xff, HEAP_BYTES);
	memset(a->stack_array, 0xee, 256);
	return bad;
}

static int cmd_copy(void)
{
	unsigned char stack_array[256];
	struct copy_args a;
	uint32_t before;
	int status;

	heap = malloc(HEAP_BYTES);
	if (!heap)
		return printf("copy: no heap\n"), 1;
	for (uint32_t i = 0; i < HEAP_BYTES; i++)
		heap[i] = pattern(i);
	for (int i = 0; i < 256; i++)
		stack_array[i] = (unsigned char)(i * 7);
	before = checksum(heap, HEAP_BYTES);
	a.heap_sum = before;
	a.stack_array = stack_array;
	a.stack_sum = checksum(stack_array, 256);

	status = wait_status(copy_process(copy_child, &a));
	printf("copy: child %d parent global %d heap %s stack %s\n", status, global_word,
	       checksum(heap, HEAP_BYTES) == before ? "same" : "changed",
	       checksum(stack_array, 256) == a.stack_sum ? "same" : "changed");
	return 0;
}

static int grandchild(void *p)
{
	(void)p;
	return global_word == 30 ? 7 : 1;
}

static int nested_child(void *p)
{
	int status;

	(void)p;
	global_word = 30;
	status = wait_status(copy_process(grandchild, 0));
	return status == 7 ? 5 : 1;
}

static int cmd_nested(void)
{
	int status = wait_status(copy_process(nested_child, 0));

	printf("nested: child %d parent global %d\n", status, global_word);
	return 0;
}

static int exit_with(void *p)
{
	return (int)(intptr_t)p & 0x7f;
}

static int cmd_many(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		if (wait_status(copy_process(exit_with, (void *)(intptr_t)i)) == (i & 0x7f))
			ok++;
	printf("many: %d of %d\n", ok, n);
	return 0;
}

static int to_child[2], to_parent[2];

static int pipe_child(void *p)
{
	char buf[64];
	ssize_t n;

	(void)p;
	close(to_child[1]);
	close(to_parent[0]);
	n = read(to_child[0], buf, sizeof(buf) - 1);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	dprintf(to_parent[1], "child got [%s] pid %d", buf, (int)getpid());
	return 0;
}

static int cmd_pipe(void)
{
	char buf[128];
	ssize_t n;
	pid_t pid;

	if (pipe(to_child) || pipe(to_parent))
		return printf("pipe: %s\n", strerror(errno)), 1;
	pid = copy_process(pipe_child, 0);
	close(to_child[0]);
	close(to_parent[1]);
	write(to_child[1], "ping", 4);
	n = read(to_parent[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("pipe: %s; child is %s; status %d\n", buf,
	       strstr(buf, "pid ") && atoi(strstr(buf, "pid ") + 4) == pid ? "the pid clone gave" :
									  "someone else",
	       wait_status(pid));
	return 0;
}

/*
 * fork() itself: it returns twice. The child finds globals, the heap and
 * this function's own variables as they were at the call, changes them,
 * and ends by returning from main (which must flush its stdio, as exit()
 * does); the parent sees none of the child's changes.
 */
static int cmd_fork(void)
{
	volatile int stack_word = 11;
	char *h = malloc(64);
	pid_t pid;
	int status;

	if (!h)
		return 1;
	strcpy(h, "parent heap");
	global_word = 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return printf("fork: %s\n", strerror(errno)), 1;
	if (pid == 0) {
		int ok = global_word == 1 && stack_word == 11 && !strcmp(h, "parent heap");

		global_word = 2;
		stack_word = 22;
		strcpy(h, "child heap");
		printf("fork child: saw %s, pid %s\n", ok ? "the parent's values" : "something else",
		       getpid() != getppid() ? "its own" : "the parent's");
		return ok ? 0 : 1;
	}
	status = wait_status(pid);
	printf("fork: child %d parent global %d stack %d heap [%s]\n", status, global_word,
	       stack_word, h);
	return 0;
}

static int cmd_forkmany(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(i & 0x7f);
		if (pid > 0 && wait_status(pid) == (i & 0x7f))
			ok++;
	}
	printf("forkmany: %d of %d\n", ok, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "fork"))
		return cmd_fork();
	if (argc >= 3 && !strcmp(argv[1], "forkmany"))
		return cmd_forkmany(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return cmd_copy();
	if (argc >= 2 && !strcmp(argv[1], "nested"))
		return cmd_nested();
	if (argc >= 3 && !strcmp(argv[1], "many"))
		return cmd_many(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "pipe"))
		return cmd_pipe();
	fprintf(stderr, "usage: fork copy|nested|many N|pipe|fork|forkmany N\n");
	return 2;
}
