// SPDX-License-Identifier: GPL-2.0
/*
 * Many execs in one boot: exec-many WARMUP COUNT PROGRAM [ARG...] spawns
 * PROGRAM WARMUP times, says "warm" and waits for a line on stdin (the host
 * measures its own memory then), spawns it COUNT more times and reports
 * how many spawns failed or ended other than with status 0.
 * Run by test/e2e/exec-leak.test.ts.
 */

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int bad;
static int first_error;

static void spawn_n(long n, char **argv)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid;
		int status = 0;
		int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);

		if (rc == 0 && waitpid(pid, &status, 0) == pid && status == 0)
			continue;
		if (!bad)
			first_error = rc ? rc : status;
		bad++;
	}
}

int main(int argc, char **argv)
{
	char line[16];

	if (argc < 4) {
		fprintf(stderr, "usage: exec-many WARMUP COUNT PROGRAM [ARG...]\n");
		return 2;
	}
	spawn_n(atol(argv[1]), argv + 3);
	printf("warm %d\n", bad);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 3;
	spawn_n(atol(argv[2]), argv + 3);
	printf("done bad %d first %d (%s)\n", bad, first_error,
	       bad ? strerror(first_error) : "none");
	return 0;
}
