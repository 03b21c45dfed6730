// SPDX-License-Identifier: GPL-2.0
/*
 * Files, devices, pipes and time from a process's point of view; run as
 * /init by test/e2e/files. Each check prints one line the test reads.
 */

#include <linux/fcntl.h>
#include <linux/poll.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <asm/signal.h>
#include "io.h"
#include "spawn.h"

static int starts(const char *s, const char *prefix, long n)
{
	while (n--)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static long open_ro(const char *path)
{
	return sys4(__NR_openat, AT_FDCWD, (long)path, O_RDONLY, 0);
}

/* Print a whole small file after a label, as one line. */
static void show_file(const char *label, const char *path)
{
	char buf[512];
	long fd = open_ro(path), n;

	put(label);
	if (fd < 0) {
		put_num(fd);
		put("\n");
		return;
	}
	n = sys3(__NR_read, fd, (long)buf, sizeof(buf) - 1);
	sys1(__NR_close, fd);
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	put(buf);
	put("\n");
}

/* The value of "Key:" in a /proc status-style file. */
static void show_field(const char *label, const char *path, const char *key)
{
	char buf[2048];
	long fd = open_ro(path), n, i, k = len(key);

	put(label);
	n = fd < 0 ? 0 : sys3(__NR_read, fd, (long)buf, sizeof(buf) - 1);
	if (fd >= 0)
		sys1(__NR_close, fd);
	buf[n > 0 ? n : 0] = 0;
	for (i = 0; i + k < n; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && starts(buf + i, key, k)) {
			long j = i + k;

			while (buf[j] == ' ' || buf[j] == '\t')
				j++;
			i = j;
			while (buf[j] && buf[j] != '\n')
				j++;
			buf[j] = 0;
			put(buf + i);
			break;
		}
	}
	put("\n");
}

static long long now_ns(void)
{
	struct __kernel_timespec ts;

	__wasm_syscall(__NR_clock_gettime64, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void devices(void)
{
	unsigned char a[32], b[32], z[64];
	long fd, n, i, nonzero = 0;

	fd = sys4(__NR_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0);
	put("null: write ");
	put_num(sys3(__NR_write, fd, (long)"discard me", 10));
	put(" read ");
	put_num(sys3(__NR_read, fd, (long)z, sizeof(z)));
	put("\n");
	sys1(__NR_close, fd);

	for (i = 0; i < (long)sizeof(z); i++)
		z[i] = 0xaa;
	fd = open_ro("/dev/zero");
	n = sys3(__NR_read, fd, (long)z, sizeof(z));
	for (i = 0; i < n; i++)
		nonzero += z[i] != 0;
	sys1(__NR_close, fd);
	put("zero: read ");
	put_num(n);
	put(" nonzero ");
	put_num(nonzero);
	put("\n");

	fd = open_ro("/dev/urandom");
	sys3(__NR_read, fd, (long)a, sizeof(a));
	sys3(__NR_read, fd, (long)b, sizeof(b));
	sys1(__NR_close, fd);
	put("urandom: ");
	put_hex(a, sizeof(a));
	put(" ");
	put_hex(b, sizeof(b));
	put("\n");
}

static void pipes(void)
{
	int fds[2];
	char buf[64];
	struct pollfd pfd;
	long n;

	put("pipe2: ");
	put_num(sys3(__NR_pipe2, (long)fds, 0, 0));
	put("\n");
	sys3(__NR_write, fds[1], (long)"ping", 4);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = __wasm_syscall(__NR_ppoll_time64, (long)&pfd, 1, 0, 0, 0, 0);
	put("poll: ");
	put_num(n);
	put(" revents ");
	put_num(pfd.revents);
	put("\n");
	n = sys3(__NR_read, fds[0], (long)buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	put("pipe read: ");
	put(buf);
	put("\n");

	/* A child process writes into the pipe through an inherited fd 5. */
	put("dup3: ");
	put_num(sys3(__NR_dup3, fds[1], 5, 0));
	put("\n");
	{
		char *const argv[] = { "/init", "pipe-writer", 0 };
		int st = spawn_wait("/init", argv);

		put("writer status: ");
		put_num(st);
		put("\n");
	}
	sys1(__NR_close, 5);
	sys1(__NR_close, fds[1]);
	n = sys3(__NR_read, fds[0], (long)buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	put("from child: ");
	put(buf);
	put("\n");
	put("after eof: ");
	put_num(sys3(__NR_read, fds[0], (long)buf, sizeof(buf)));
	put("\n");
}

static void sleeping(void)
{
	struct __kernel_timespec req = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };
	long long t0 = now_ns(), t1;
	long ret = __wasm_syscall(__NR_clock_nanosleep_time64, CLOCK_MONOTONIC, 0,
				  (long)&req, 0, 0, 0);

	t1 = now_ns();
	put("sleep: ");
	put_num(ret);
	put(" slept_ms ");
	put_num((t1 - t0) / 1000000);
	put("\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && streq(argv[1], "pipe-writer")) {
		static const char msg[] = "hello through a pipe";

		return sys3(__NR_write, 5, (long)msg, sizeof(msg) - 1) ==
			sizeof(msg) - 1 ? 0 : 1;
	}

	put("mkdir proc: ");
	put_num(__wasm_syscall(__NR_mkdirat, AT_FDCWD, (long)"/proc", 0555, 0, 0, 0));
	put("\n");
	put("mount proc: ");
	put_num(__wasm_syscall(__NR_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0, 0));
	put("\n");
	put("mount devtmpfs: ");
	put_num(__wasm_syscall(__NR_mount, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs", 0, 0, 0));
	put("\n");
	show_file("version: ", "/proc/version");
	show_field("status pid: ", "/proc/self/status", "Pid:");
	show_field("status name: ", "/proc/self/status", "Name:");
	put("getpid: ");
	put_num(sys0(__NR_getpid));
	put("\n");

	devices();
	pipes();
	sleeping();

	sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	     LINUX_REBOOT_CMD_POWER_OFF, 0);
	return 0;
}

void __wasm_start_c(long *sp);

void __wasm_start_c(long *sp)
{
	int argc = (int)sp[0];

	sys1(__NR_exit_group, main(argc, (char **)(sp + 1)));
}
