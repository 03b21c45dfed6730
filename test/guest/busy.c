/*
 * Computes forever without a system call, to show that such a program can
 * still be preempted and signalled (tools/wasm/preempt.ts).
 *
 *   busy           for (;;); until killed
 *   busy handler N loop until a SIGINT or SIGTERM handler has run N times
 *   busy count     count to 200 million; print when it started and ended
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long counter;
static volatile sig_atomic_t hits;

static void on_signal(int sig)
{
	hits++;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "handler")) {
		int want = atoi(argv[2]);

		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("busy: handlers ready\n");
		fflush(stdout);
		while (hits < want)
			counter++;
		printf("busy: the handler ran %d times, counter moved %s\n", (int)hits,
		       counter ? "yes" : "no");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "count")) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		while (counter < 200000000)
			counter++;
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("busy: from %lld to %lld ms\n",
		       (long long)a.tv_sec * 1000 + a.tv_nsec / 1000000,
		       (long long)b.tv_sec * 1000 + b.tv_nsec / 1000000);
		return 0;
	}
	printf("busy: looping\n");
	fflush(stdout);
	/* Nothing but the loop: no store, no call, no system call. */
	for (;;)
		;
}
