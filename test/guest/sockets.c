// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets inside the guest, for test/e2e/sockets.test.ts.  Each case moves
 * data between two processes (a fork child and its parent) or two sockets
 * and prints what arrived, so the test sees the data that crossed:
 *
 *   sockets pair            socketpair(AF_UNIX, SOCK_STREAM)
 *   sockets unix-stream     bind/listen/accept/connect on a path
 *   sockets unix-dgram      datagrams to an abstract name
 *   sockets seqpacket       SOCK_SEQPACKET keeps message boundaries
 *   sockets pass-fd         SCM_RIGHTS: a pipe's write end crosses
 *   sockets tcp4 | tcp6     TCP over 127.0.0.1 / ::1
 *   sockets udp4            UDP over 127.0.0.1
 *
 * The loopback device must be up already (/init brings it up at boot).
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("%s: error: %s\n", what, strerror(errno));
	exit(1);
}

/* Read up to n-1 bytes (until EOF) into buf as a string. */
static void read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n - 1 && (r = read(fd, buf + got, n - 1 - got)) > 0)
		got += r;
	buf[got] = 0;
}

static void reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
}

static void pair(void)
{
	int sv[2];
	char buf[64];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		dprintf(sv[1], "hello from %s", "the child");
		_exit(0);
	}
	close(sv[1]);
	read_all(sv[0], buf, sizeof(buf));
	reap(pid);
	printf("pair: %s\n", buf);
}

static void unix_stream(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[64];
	int l, c;
	pid_t pid;

	strcpy(a.sun_path, "/tmp/sockets-test");
	unlink(a.sun_path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		die("unix listen");
	pid = fork();
	if (pid == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		if (connect(s, (struct sockaddr *)&a, sizeof(a)))
			die("unix connect");
		dprintf(s, "via %s", a.sun_path);
		_exit(0);
	}
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	read_all(c, buf, sizeof(buf));
	reap(pid);
	printf("unix-stream: %s\n", buf);
	unlink(a.sun_path);
}

static void unix_dgram(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + 12;
	char buf[64];
	int s, i;
	pid_t pid;

	memcpy(a.sun_path, "\0sockets-test", 13);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, len))
		die("dgram bind");
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_DGRAM, 0);

		for (i = 1; i <= 3; i++) {
			snprintf(buf, sizeof(buf), "datagram %d", i);
			if (sendto(c, buf, strlen(buf), 0, (struct sockaddr *)&a, len) < 0)
				die("sendto");
		}
		_exit(0);
	}
	printf("unix-dgram:");
	for (i = 0; i < 3; i++) {
		ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			die("recv");
		buf[n] = 0;
		printf(" [%s]", buf);
	}
	printf("\n");
	reap(pid);
}

static void seqpacket(void)
{
	int sv[2];
	char buf[64];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair seqpacket");
	if (write(sv[0], "one", 3) != 3 || write(sv[0], "two!", 4) != 4)
		die("write");
	printf("seqpacket:");
	while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		printf(" %zd", n);
	printf("\n");
}

static void pass_fd(void)
{
	int sv[2], p[2];
	char cbuf[CMSG_SPACE(sizeof(int))];
	char buf[64];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p))
		die("pass-fd setup");
	pid = fork();
	if (pid == 0) {
		/* The child never had the pipe: close it, then get its end. */
		struct msghdr m = { 0 };
		struct iovec v = { buf, 1 };
		struct cmsghdr *c;
		int fd;

		close(p[0]);
		close(p[1]);
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &m, 0) != 1)
			die("recvmsg");
		c = CMSG_FIRSTHDR(&m);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			die("no SCM_RIGHTS");
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		dprintf(fd, "written by the child to fd %d", fd);
		_exit(0);
	} else {
		struct msghdr m = { 0 };
		struct iovec v = { "x", 1 };
		struct cmsghdr *c;

		m.msg_iov = &v;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[1], sizeof(int));
		if (sendmsg(sv[0], &m, 0) != 1)
			die("sendmsg");
		close(p[1]);
		reap(pid);
		read_all(p[0], buf, sizeof(buf));
		printf("pass-fd: %s\n", buf);
	}
}

static void tcp(int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	char buf[64], host[64];
	int l, c, one = 1;
	pid_t pid;

	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	l = socket(family, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1))
		die("tcp listen");
	/* Port 0 asked the kernel for one: see which. */
	if (getsockname(l, (struct sockaddr *)&ss, &len))
		die("getsockname");
	pid = fork();
	if (pid == 0) {
		int s = socket(family, SOCK_STREAM, 0);

		if (connect(s, (struct sockaddr *)&ss, len))
			die("tcp connect");
		write(s, "ping", 4);
		read_all(s, buf, sizeof(buf));
		printf("tcp%c client got: %s\n", family == AF_INET ? '4' : '6', buf);
		_exit(0);
	}
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	if (read(c, buf, 4) != 4)
		die("tcp read");
	buf[4] = 0;
	inet_ntop(family,
		  family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr :
				      (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  host, sizeof(host));
	dprintf(c, "%s back from %s", buf, host);
	close(c);
	reap(pid);
}

static void udp4(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char buf[64];
	int s;
	ssize_t n;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		die("udp bind");
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_INET, SOCK_DGRAM, 0);

		if (sendto(c, "udp datagram", 12, 0, (struct sockaddr *)&a, sizeof(a)) != 12)
			die("udp sendto");
		_exit(0);
	}
	n = recv(s, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		die("udp recv");
	buf[n] = 0;
	reap(pid);
	printf("udp4: %s\n", buf);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "pair"))
		pair();
	else if (!strcmp(c, "unix-stream"))
		unix_stream();
	else if (!strcmp(c, "unix-dgram"))
		unix_dgram();
	else if (!strcmp(c, "seqpacket"))
		seqpacket();
	else if (!strcmp(c, "pass-fd"))
		pass_fd();
	else if (!strcmp(c, "tcp4") || !strcmp(c, "tcp6"))
		tcp(c[3] == '4' ? AF_INET : AF_INET6);
	else if (!strcmp(c, "udp4"))
		udp4();
	else {
		fprintf(stderr, "usage: sockets CASE\n");
		return 2;
	}
	return 0;
}
