// SPDX-License-Identifier: GPL-2.0
/*
 * Linked without a shared memory (test/e2e/threads.test.ts links it by
 * hand): a second instance of the program cannot run on its memory, so
 * pthread_create must fail with EAGAIN, and the program carries on.
 */

#include <pthread.h>
#include <stdio.h>

static void *run(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, run, NULL);

	printf("nonshared: create %d\n", r);
	printf("nonshared: carried on\n");
	return 0;
}
