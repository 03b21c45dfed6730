// SPDX-License-Identifier: GPL-2.0
/*
 * wasmlinux-agent: the host's hands inside a running guest, for the web
 * page's embedding API (src/browser/vm.ts, src/core/agent-protocol.ts).
 * /sbin/init starts it when the kernel command line has WASMLINUX_AGENT=1.
 *
 * Requests come on /dev/host_stdin, replies go to /dev/host_stdout; each
 * is a header line, then as many bytes as the header says:
 *
 *   put ID MODE SIZE PATH   + SIZE bytes -> ok ID | err ID MESSAGE
 *   run ID SIZE             + SIZE bytes of a command for sh -c
 *                                        -> done ID STATUS SIZE + output
 *   get ID PATH                          -> file ID SIZE NAME + SIZE bytes
 *                                           | err ID MESSAGE
 *
 * At start it says "hello 0". Programs in the guest hand files to the
 * browser with `download FILE...` (this program under that name): it
 * writes their paths to a FIFO the agent reads, and the agent sends each as
 * "file 0 SIZE NAME" + bytes. Relative paths are relative to /root.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define REQUESTS	"/dev/host_stdin"
#define REPLIES		"/dev/host_stdout"
#define DOWNLOADS	"/run/wasmlinux-download"
#define HOME		"/root"
/* A command's output beyond this is cut (the reply says how much came). */
#define MAX_OUTPUT	(16 << 20)

extern char **environ;

static int in_fd, out_fd;
static char inbuf[65536];
static size_t in_have, in_used;

static void die(const char *what)
{
	fprintf(stderr, "wasmlinux-agent: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put_all(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write " REPLIES);
		p += n;
		len -= n;
	}
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void reply(const char *fmt, ...)
{
	char line[PATH_MAX + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	put_all(line, n);
}

/* Next bytes of the request stream; 0 at its end. */
static size_t take(char *dst, size_t want)
{
	size_t n;

	if (in_used == in_have) {
		ssize_t got;

		do
			got = read(in_fd, inbuf, sizeof(inbuf));
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return 0;
		in_have = got;
		in_used = 0;
	}
	n = in_have - in_used;
	if (n > want)
		n = want;
	memcpy(dst, inbuf + in_used, n);
	in_used += n;
	return n;
}

static int read_line(char *line, size_t size)
{
	size_t len = 0;
	char c;

	while (take(&c, 1) == 1) {
		if (c == '\n') {
			line[len] = 0;
			return 1;
		}
		if (len + 1 < size)
			line[len++] = c;
	}
	return 0;
}

/* Read and drop n bytes, or hand them to sink. */
static int copy_body(unsigned long long n, int sink)
{
	char buf[65536];
	int ok = 1;

	while (n) {
		size_t got = take(buf, n < sizeof(buf) ? n : sizeof(buf));

		if (!got)
			exit(0); /* the host went away mid-request */
		if (ok && sink >= 0) {
			size_t off = 0;

			while (off < got) {
				ssize_t w = write(sink, buf + off, got - off);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					ok = 0;
					break;
				}
				off += w;
			}
		}
		n -= got;
	}
	return ok;
}

static const char *home_path(const char *path, char *buf, size_t size)
{
	if (path[0] == '/')
		return path;
	snprintf(buf, size, "%s/%s", HOME, path);
	return buf;
}

static void do_put(unsigned long id, unsigned mode, unsigned long long size,
		   const char *path)
{
	char full[PATH_MAX];
	const char *p = home_path(path, full, sizeof(full));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode & 07777);
	int err = errno;

	if (!copy_body(size, fd) && fd >= 0) {
		err = errno;
		close(fd);
		fd = -1;
	} else if (fd >= 0 && close(fd)) {
		err = errno;
		fd = -1;
	}
	if (fd < 0)
		reply("err %lu %s: %s\n", id, p, strerror(err));
	else
		reply("ok %lu\n", id);
}

static void do_run(unsigned long id, unsigned long long size)
{
	char *cmd = malloc(size + 1), *out = NULL;
	char *argv[] = { "sh", "-c", cmd, NULL };
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 0;
	int pipefd[2], status = 0;
	pid_t pid;
	ssize_t n;

	if (!cmd)
		die("malloc");
	for (size_t have = 0; have < size;) {
		size_t got = take(cmd + have, size - have);

		if (!got)
			exit(0);
		have += got;
	}
	cmd[size] = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, HOME);
	errno = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (errno) {
		close(pipefd[0]);
		reply("done %lu 32512 0\n", id); /* as a shell says 127 */
		free(cmd);
		return;
	}
	for (;;) {
		if (cap - len < 65536 && cap < MAX_OUTPUT) {
			cap = cap ? cap * 2 : 65536;
			out = realloc(out, cap);
			if (!out)
				die("realloc");
		}
		if (len == cap) {
			char sink[4096];

			n = read(pipefd[0], sink, sizeof(sink));
		} else {
			n = read(pipefd[0], out + len, cap - len);
			if (n > 0)
				len += n;
		}
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	reply("done %lu %d %zu\n", id, status, len);
	put_all(out, len);
	free(out);
	free(cmd);
}

static void send_file(unsigned long id, const char *path)
{
	char full[PATH_MAX], name[NAME_MAX + 1], buf[65536];
	const char *p = home_path(path, full, sizeof(full));
	struct stat st;
	char *copy = strdup(p);
	unsigned long long left;
	ssize_t n;
	int fd = open(p, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		reply("err %lu %s: %s\n", id, p, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		free(copy);
		return;
	}
	snprintf(name, sizeof(name), "%s", basename(copy));
	free(copy);
	/* The size is promised up front: send exactly that many bytes. */
	reply("file %lu %lld %s\n", id, (long long)st.st_size, name);
	for (left = st.st_size; left; left -= n) {
		n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n <= 0) {
			memset(buf, 0, sizeof(buf));
			n = left < sizeof(buf) ? left : sizeof(buf);
		}
		put_all(buf, n);
	}
	close(fd);
}

static void serve_request(void)
{
	char line[PATH_MAX + 128], path[PATH_MAX];
	unsigned long long size;
	unsigned long id;
	unsigned mode;
	int at = 0;

	if (!read_line(line, sizeof(line)))
		exit(0);
	if (sscanf(line, "put %lu %o %llu %n", &id, &mode, &size, &at) == 3 && at) {
		snprintf(path, sizeof(path), "%s", line + at);
		do_put(id, mode, size, path);
	} else if (sscanf(line, "run %lu %llu", &id, &size) == 2) {
		do_run(id, size);
	} else if (sscanf(line, "get %lu %n", &id, &at) == 1 && at) {
		send_file(id, line + at);
	} else {
		reply("err 0 bad request: %.100s\n", line);
	}
}

/* `download FILE...`: ask the agent to hand the files to the browser. */
static int download(int argc, char **argv)
{
	char real[PATH_MAX];
	int fd, i, status = 0;

	if (argc < 2) {
		fputs("usage: download FILE...\n"
		      "Hands files to the web page, which saves them.\n", stderr);
		return 2;
	}
	fd = open(DOWNLOADS, O_WRONLY | O_NONBLOCK);
	if (fd < 0) {
		fputs("download: works only in the web page (no wasmlinux-agent here)\n", stderr);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (!realpath(argv[i], real) || stat(real, &st) || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "download: %s: %s\n", argv[i],
				errno ? strerror(errno) : "not a regular file");
			status = 1;
			continue;
		}
		dprintf(fd, "%s\n", real);
	}
	close(fd);
	return status;
}

/* Paths written to the FIFO, a line each; send the complete ones. */
static void take_downloads(int fifo)
{
	static char pending[PATH_MAX * 2];
	static size_t have;
	ssize_t n = read(fifo, pending + have, sizeof(pending) - 1 - have);
	char *line, *nl;

	if (n <= 0)
		return;
	have += n;
	pending[have] = 0;
	line = pending;
	while ((nl = strchr(line, '\n'))) {
		*nl = 0;
		if (*line)
			send_file(0, line);
		line = nl + 1;
	}
	have -= line - pending;
	memmove(pending, line, have);
	if (have == sizeof(pending) - 1)
		have = 0; /* a line longer than any path: drop it */
}

int main(int argc, char **argv)
{
	struct pollfd fds[2];
	int fifo;

	if (!strcmp(basename(argv[0]), "download"))
		return download(argc, argv);

	in_fd = open(REQUESTS, O_RDONLY | O_CLOEXEC);
	out_fd = open(REPLIES, O_WRONLY | O_CLOEXEC);
	if (in_fd < 0 || out_fd < 0)
		die("open the host's streams");
	unlink(DOWNLOADS);
	if (mkfifo(DOWNLOADS, 0622))
		die("mkfifo " DOWNLOADS);
	/* Read and write: never an end of file when a writer closes. */
	fifo = open(DOWNLOADS, O_RDWR | O_CLOEXEC);
	if (fifo < 0)
		die("open " DOWNLOADS);
	reply("hello 0\n");

	for (;;) {
		/* Requests already buffered come first. */
		if (in_used < in_have) {
			serve_request();
			continue;
		}
		fds[0] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = fifo, .events = POLLIN };
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[1].revents & POLLIN)
			take_downloads(fifo);
		if (fds[0].revents & (POLLIN | POLLHUP))
			serve_request();
	}
}
