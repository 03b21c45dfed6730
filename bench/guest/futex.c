/*
 * Thread costs for bench/smp.ts, the same C natively and in the guest:
 *
 *   futex mutex N      N uncontended pthread_mutex_lock/unlock pairs;
 *                      prints "mutex NS_PER_PAIR"
 *   futex mutex-mt N   the same with a second thread alive (asleep): glibc
 *                      skips the atomic instructions while a process has
 *                      one thread, musl does not, so this is the fair
 *                      comparison; prints "mutex-mt NS_PER_PAIR"
 *   futex pingpong N   two threads hand a turn back and forth N times
 *                      through a futex word (FUTEX_WAIT/FUTEX_WAKE), each
 *                      waking the other; prints "pingpong NS_PER_HANDOFF"
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static long n_rounds;
static volatile int turn;	/* 0: main's turn, 1: the other thread's */

static void futex_wait(volatile int *w, int val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(volatile int *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wait for my turn, then give the turn to the other side. */
static void play(int me, long n)
{
	long i;

	for (i = 0; i < n; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
			futex_wait(&turn, !me);
		__atomic_store_n(&turn, !me, __ATOMIC_RELEASE);
		futex_wake(&turn);
	}
}

/* N lock/unlock pairs of an uncontended mutex: nanoseconds per pair. */
static double mutex_pairs(long n)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	uint64_t start = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	return (double)(now_ns() - start) / n;
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void *other(void *arg)
{
	(void)arg;
	play(1, n_rounds);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	uint64_t start;

	if (argc != 3)
		goto usage;
	n_rounds = atol(argv[2]);
	if (!strcmp(argv[1], "mutex")) {
		printf("mutex %.1f\n", mutex_pairs(n_rounds));
		return 0;
	}
	if (!strcmp(argv[1], "mutex-mt")) {
		if (pthread_create(&t, NULL, sleeper, NULL))
			return 1;
		printf("mutex-mt %.1f\n", mutex_pairs(n_rounds));
		return 0;
	}
	if (!strcmp(argv[1], "pingpong")) {
		start = now_ns();
		if (pthread_create(&t, NULL, other, NULL))
			return 1;
		play(0, n_rounds);
		pthread_join(t, NULL);
		printf("pingpong %.1f\n", (double)(now_ns() - start) / (2.0 * n_rounds));
		return 0;
	}
usage:
	fprintf(stderr, "usage: futex mutex|mutex-mt|pingpong N\n");
	return 2;
}
