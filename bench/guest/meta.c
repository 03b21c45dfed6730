// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata benchmark: in DIR, N times create a small file (open O_CREAT,
 * write 16 bytes, close), stat it and unlink it. Prints the elapsed time
 * as "meta N MS". The same source runs natively and in the guest (musl),
 * so the ratio is the filesystem's, with no process spawns in it.
 *
 *   meta DIR [N]
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const char data[16] = "0123456789abcde";
	char name[4096];
	struct stat st;
	double start;
	long i, n;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: meta DIR [N]\n");
		return 2;
	}
	n = argc > 2 ? atol(argv[2]) : 10000;
	start = now_ms();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/f%ld", argv[1], i);
		fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) || close(fd)) {
			perror(name);
			return 1;
		}
		if (stat(name, &st) || st.st_size != sizeof(data)) {
			perror("stat");
			return 1;
		}
		if (unlink(name)) {
			perror("unlink");
			return 1;
		}
	}
	printf("meta %ld %.1f\n", n, now_ms() - start);
	return 0;
}
