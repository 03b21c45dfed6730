// SPDX-License-Identifier: GPL-2.0
/*
 * TCP measurements against a server of bench/net.ts, in the guest and,
 * built with the host's cc, natively:
 *
 *   netperf send HOST PORT BYTES	write BYTES, then wait for the server's close
 *   netperf recv HOST PORT		read until the server closes
 *   netperf rr HOST PORT N		N one-byte requests, each answered
 *   netperf cc HOST PORT N		N connects, each closed at once
 *
 * Each prints "netperf WHAT COUNT NS" (bytes or round trips or
 * connections, and nanoseconds of CLOCK_MONOTONIC).
 */

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct addrinfo *target;

static int dial(void)
{
	int s = socket(target->ai_family, SOCK_STREAM, 0);
	int one = 1;

	if (s < 0 || connect(s, target->ai_addr, target->ai_addrlen) < 0) {
		perror("netperf: connect");
		exit(1);
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

static char buf[1 << 20];

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	long long n = argc > 4 ? atoll(argv[4]) : 0, done = 0, t0;
	int s;

	if (argc < 4 || getaddrinfo(argv[2], argv[3], &hints, &target)) {
		fprintf(stderr, "usage: netperf send|recv|rr|cc HOST PORT [N]\n");
		return 2;
	}
	t0 = now();
	if (!strcmp(argv[1], "send")) {
		s = dial();
		while (done < n) {
			long long want = n - done < (long long)sizeof(buf) ? n - done : (long long)sizeof(buf);
			ssize_t w = write(s, buf, want);

			if (w <= 0) {
				perror("netperf: write");
				return 1;
			}
			done += w;
		}
		shutdown(s, SHUT_WR);
		while (read(s, buf, sizeof(buf)) > 0)
			;
	} else if (!strcmp(argv[1], "recv")) {
		ssize_t r;

		s = dial();
		while ((r = read(s, buf, sizeof(buf))) > 0)
			done += r;
	} else if (!strcmp(argv[1], "rr")) {
		s = dial();
		for (; done < n; done++) {
			if (write(s, "x", 1) != 1 || read(s, buf, 1) != 1) {
				perror("netperf: round trip");
				return 1;
			}
		}
	} else if (!strcmp(argv[1], "cc")) {
		for (; done < n; done++)
			close(dial());
	} else {
		return 2;
	}
	printf("netperf %s %lld %lld\n", argv[1], done, now() - t0);
	return 0;
}
