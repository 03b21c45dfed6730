/*
 * A C program on musl, run as /init by test/e2e/musl.test.ts.
 *
 * It prints values it computes (the test computes the same ones on the host
 * and compares), plus "PASS name" / "FAIL name: why" lines for checks it can
 * make itself, then "summary: pass=N fail=M". With no failures it powers the
 * machine off; otherwise it exits with status 1, which makes the kernel
 * panic (init died) and the CLI exit with status 1.
 *
 * Built with -DFORCE_FAIL, one check fails on purpose (the test makes sure
 * that such a failure is noticed).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

__attribute__((format(printf, 3, 4)))
static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		printf("PASS %s\n", name);
		return;
	}
	failed++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The same generator as the test's: 32-bit LCG, 24 bits out. */
static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) & 0xffffff;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static void numbers(int argc, char **argv)
{
	unsigned long long a = 0, b = 1;
	double h = 0;
	int i;

	printf("args: argc=%d argv0=%s\n", argc, argv[0]);
	for (i = 0; i < 90; i++) {
		unsigned long long t = a + b;
		a = b;
		b = t;
	}
	printf("fib90: %llu 0x%llx\n", a, a);
	for (i = 1; i <= 1000; i++) h += 1.0 / i;
	printf("harmonic1000: %.17g %.10f\n", h, h);
	printf("strtod: %.17g\n", strtod("3.14159265358979323846", NULL));
	printf("ldouble: %.30Lf %.30Lf\n", 1.0L / 3, (long double)2 / 3);
	printf("ints: [%+d] [%05d] [%-6s] [%o] [%X]\n", 42, -42, "ab", 511, 48879);
}

static void memory(void)
{
	const size_t first = 4 << 20, grown = 12 << 20;
	unsigned char *p, *q;
	void **small;
	size_t i, n = 20000;
	int bad = 0;

	rng_state = 1;
	p = malloc(first);
	check(p != NULL, "malloc-4M", "malloc(%zu) failed", first);
	if (!p) return;
	for (i = 0; i < first; i++) p[i] = rng();
	q = realloc(p, grown);
	check(q != NULL, "realloc-12M", "realloc to %zu failed", grown);
	if (!q) return;
	printf("memhash: %08x\n", fnv1a(q, first));
	memset(q + first, 0x5a, grown - first);
	for (i = first; i < grown; i++) bad |= q[i] != 0x5a;
	check(!bad, "realloc-tail", "grown part does not keep what was written");
	free(q);

	/* Many small blocks: every block keeps its own pattern. */
	small = calloc(n, sizeof *small);
	check(small != NULL, "calloc", "calloc failed");
	if (!small) return;
	for (i = 0; i < n; i++) {
		size_t len = 1 + rng() % 512;
		small[i] = malloc(len);
		if (!small[i]) break;
		memset(small[i], (int)(i & 0xff), len);
		((unsigned char *)small[i])[0] = (unsigned char)i;
	}
	for (i = 0; i < n; i += 2) {
		free(small[i]);
		small[i] = NULL;
	}
	for (i = 1; i < n; i += 2) {
		unsigned char *s = small[i];
		if (!s || s[0] != (unsigned char)i) bad = 1;
		s = realloc(s, 1024);
		if (!s || s[0] != (unsigned char)i) bad = 1;
		small[i] = s;
	}
	for (i = 0; i < n; i++) free(small[i]);
	free(small);
	check(!bad, "small-blocks", "a small block lost its contents");

	/* sbrk hands out contiguous memory, between mallocs too. */
	{
		char *b0 = sbrk(0), *b1 = sbrk(1 << 20), *b2;
		void *m = malloc(100000);
		b2 = sbrk(4096);
		if (b1 != (void *)-1) memset(b1, 7, 1 << 20);
		check(b1 == b0 && b2 == b0 + (1 << 20) && sbrk(0) == b2 + 4096 && m, "sbrk",
		      "sbrk(0)=%p, then %p, %p, %p", (void *)b0, (void *)b1, (void *)b2, sbrk(0));
		free(m);
	}

	/* A big block freed and allocated again. */
	p = malloc(32 << 20);
	check(p != NULL, "malloc-32M", "malloc of 32 MiB failed");
	free(p);
	p = malloc(32 << 20);
	check(p != NULL, "malloc-32M-again", "malloc of 32 MiB after free failed");
	free(p);
}

static void files(void)
{
	const char *path = "/tmp/musl-test.txt";
	long long sum = 0, v;
	int lines = 0, i;
	FILE *f;

	f = fopen(path, "w");
	check(f != NULL, "fopen-w", "fopen(%s, w): %s", path, strerror(errno));
	if (!f) return;
	for (i = 1; i <= 100; i++) fprintf(f, "line %d value %lld\n", i, (long long)i * i * i);
	check(fclose(f) == 0, "fclose", "fclose: %s", strerror(errno));

	f = fopen(path, "r");
	check(f != NULL, "fopen-r", "fopen(%s, r): %s", path, strerror(errno));
	if (!f) return;
	while (fscanf(f, "line %d value %lld\n", &i, &v) == 2) {
		sum += v;
		lines++;
	}
	fseek(f, 0, SEEK_END);
	printf("file: lines=%d sum=%lld size=%ld\n", lines, sum, ftell(f));
	fclose(f);

	errno = 0;
	f = fopen("/no/such/file", "r");
	check(!f && errno == ENOENT, "enoent", "fopen of a missing file: %p, %s", (void *)f,
	      strerror(errno));
	check(remove(path) == 0, "remove", "remove(%s): %s", path, strerror(errno));
}

static void kernel(void)
{
	struct utsname u;
	struct timespec rt, m1, m2;
	struct tm tm;
	time_t t = 1700000000;
	char buf[64];

	check(uname(&u) == 0, "uname", "uname: %s", strerror(errno));
	printf("uname: %s %s %s\n", u.sysname, u.release, u.machine);
	printf("pid: %d ppid: %d\n", getpid(), getppid());
	check(clock_gettime(CLOCK_REALTIME, &rt) == 0, "clock-realtime", "%s", strerror(errno));
	printf("realtime: %lld\n", (long long)rt.tv_sec);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	check(m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec),
	      "clock-monotonic", "went back: %lld.%09ld then %lld.%09ld", (long long)m1.tv_sec,
	      m1.tv_nsec, (long long)m2.tv_sec, m2.tv_nsec);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	printf("gmtime: %s yday=%d\n", buf, tm.tm_yday);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void library(void)
{
	enum { N = 1000 };
	static uint32_t v[N];
	unsigned long long sum = 0;
	char buf[8], *end;
	long l;
	int i, sorted = 1, n;

	l = strtol("  -12345xyz", &end, 10);
	check(l == -12345 && strcmp(end, "xyz") == 0, "strtol-dec", "got %ld, rest \"%s\"", l, end);
	l = strtol("0x7fffffff", NULL, 0);
	check(l == 2147483647L, "strtol-hex", "got %ld", l);
	l = strtol("777", NULL, 8);
	check(l == 511, "strtol-oct", "got %ld", l);
	errno = 0;
	l = strtol("99999999999", NULL, 10);
	check(l == 2147483647L && errno == ERANGE, "strtol-range", "got %ld, errno %d", l, errno);

	rng_state = 7;
	for (i = 0; i < N; i++) {
		v[i] = rng();
		sum += v[i];
	}
	qsort(v, N, sizeof v[0], cmp_u32);
	for (i = 1; i < N; i++) sorted &= v[i - 1] <= v[i];
	check(sorted, "qsort", "result not in order");
	printf("qsort: min=%u median=%u max=%u sum=%llu\n", v[0], v[N / 2], v[N - 1], sum);

	n = snprintf(buf, sizeof buf, "%s-%d", "abcdef", 12345);
	check(n == 12 && strcmp(buf, "abcdef-") == 0, "snprintf-trunc", "returned %d, \"%s\"", n,
	      buf);
	n = snprintf(NULL, 0, "%.3f", 2.0 / 3);
	check(n == 5, "snprintf-len", "returned %d", n);
#ifdef FORCE_FAIL
	check(0, "forced", "built with -DFORCE_FAIL");
#endif
}

int main(int argc, char **argv)
{
	numbers(argc, argv);
	memory();
	files();
	kernel();
	library();
	printf("summary: pass=%d fail=%d\n", passed, failed);
	fflush(NULL);
	if (failed) return 1;
	reboot(RB_POWER_OFF);
	printf("reboot: %s\n", strerror(errno));
	return 1;
}
