/*
 * A fixed amount of pure computation for bench/smp.ts: "spin N [T]" runs
 * N rounds of an integer mixing loop (no system calls, no memory traffic)
 * in each of T threads (default 1: in main) and prints "spin START END
 * CHECKSUM" with CLOCK_MONOTONIC nanoseconds, so that several copies or
 * threads started together show how long they took in all.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 16

static uint64_t rounds;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *work(void *seed)
{
	uint64_t x = (uintptr_t)seed | 1, i;

	for (i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x += i;
	}
	return (void *)(uintptr_t)x;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 1, i;
	pthread_t t[MAX_THREADS];
	uint64_t start, sum = 0;
	void *r;

	rounds = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000;
	if (threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "spin: 1 to %d threads\n", MAX_THREADS);
		return 2;
	}
	start = now_ns();
	if (threads == 1) {
		sum = (uintptr_t)work((void *)(uintptr_t)start);
	} else {
		for (i = 0; i < threads; i++)
			if (pthread_create(&t[i], NULL, work, (void *)(uintptr_t)(start + 2 * i)))
				return 1;
		for (i = 0; i < threads; i++) {
			pthread_join(t[i], &r);
			sum ^= (uintptr_t)r;
		}
	}
	printf("spin %llu %llu %llx\n", (unsigned long long)start,
	       (unsigned long long)now_ns(), (unsigned long long)sum);
	return 0;
}
