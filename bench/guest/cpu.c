/*
 * CPU-bound loops for bench/preempt.ts: the same C built natively, for the
 * guest with the preemption checks in every loop, and without them.
 * Prints one "name ms checksum" line per kernel.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A tight counting loop: the worst case for a per-iteration check. */
static uint64_t count(void)
{
	volatile uint64_t n = 0;
	uint64_t i;

	for (i = 0; i < 100000000; i++)
		n += i;
	return n;
}

/* FNV-1a over 64 MiB, byte by byte. */
static uint64_t hash(void)
{
	size_t len = 64 << 20, i;
	uint8_t *buf = malloc(len);
	uint64_t h = 1469598103934665603ULL;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (i = 0; i < len; i++)
		h = (h ^ buf[i]) * 1099511628211ULL;
	free(buf);
	return h;
}

/* Primes below 20 million. */
static uint64_t sieve(void)
{
	size_t n = 20000000, i, j;
	uint8_t *composite = calloc(n, 1);
	uint64_t primes = 0;

	for (i = 2; i < n; i++) {
		if (composite[i])
			continue;
		primes++;
		for (j = i * i; j < n; j += i)
			composite[j] = 1;
	}
	free(composite);
	return primes;
}

/* 300x300 matrix product, three nested loops. */
static uint64_t matmul(void)
{
	enum { N = 300 };
	static double a[N][N], b[N][N], c[N][N];
	double sum = 0;
	int i, j, k;

	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			a[i][j] = i + j;
			b[i][j] = i - j;
		}
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			double s = 0;

			for (k = 0; k < N; k++)
				s += a[i][k] * b[k][j];
			c[i][j] = s;
		}
	for (i = 0; i < N; i++)
		sum += c[i][i];
	return (uint64_t)sum;
}

int main(void)
{
	static const struct {
		const char *name;
		uint64_t (*run)(void);
	} kernels[] = {
		{ "count", count }, { "hash", hash }, { "sieve", sieve }, { "matmul", matmul },
	};
	size_t i;

	for (i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		double t0 = now_ms();
		uint64_t r = kernels[i].run();

		printf("%s %.1f %llu\n", kernels[i].name, now_ms() - t0, (unsigned long long)r);
	}
	return 0;
}
