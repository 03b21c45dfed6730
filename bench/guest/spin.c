/*
 * A fixed amount of pure computation for bench/smp.ts: "spin N" runs N
 * rounds of an integer mixing loop (no system calls, no memory traffic) and
 * prints "spin START END CHECKSUM" with CLOCK_MONOTONIC nanoseconds, so
 * that several copies started together show how long they took in all.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t work(uint64_t rounds, uint64_t seed)
{
	uint64_t x = seed | 1, i;

	for (i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x += i;
	}
	return x;
}

int main(int argc, char **argv)
{
	uint64_t rounds = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000;
	uint64_t start = now_ns(), sum = work(rounds, start), end = now_ns();

	printf("spin %llu %llu %llx\n", (unsigned long long)start,
	       (unsigned long long)end, (unsigned long long)sum);
	return 0;
}
