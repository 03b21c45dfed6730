// SPDX-License-Identifier: GPL-2.0
/*
 * fork() speed, for bench/fork.ts:
 *
 *   forkrate MIB N   touch MIB MiB of heap, then N times fork, _exit(0) in
 *                    the child, waitpid in the parent; prints
 *                    "forkrate MIB N NS" with the total in nanoseconds
 *   forkrate now     prints CLOCK_MONOTONIC in nanoseconds
 *
 * The same source is built natively for the comparison.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	unsigned char *heap = NULL;
	size_t bytes;
	int n;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", now_ns());
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: forkrate MIB N | forkrate now\n");
		return 2;
	}
	bytes = (size_t)atoi(argv[1]) << 20;
	n = atoi(argv[2]);
	if (bytes) {
		heap = malloc(bytes);
		if (!heap)
			return perror("malloc"), 1;
		for (size_t i = 0; i < bytes; i++)
			heap[i] = (unsigned char)(i * 31 + 7);
	}
	fflush(stdout);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return fprintf(stderr, "child failed\n"), 1;
	}
	t1 = now_ns();
	printf("forkrate %s %d %lld %u\n", argv[1], n, t1 - t0, heap ? heap[bytes / 2] : 0);
	return 0;
}
