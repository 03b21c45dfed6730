// SPDX-License-Identifier: GPL-2.0
/*
 * The first user program: proves that a process runs in its own wasm
 * instance and talks to the kernel only through system calls.
 */

#include <linux/fcntl.h>
#include <linux/reboot.h>
#include <linux/utsname.h>
#include "sys.h"

#define STDOUT 1

static unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys3(__NR_write, STDOUT, (long)s, len(s));
}

static void put_num(long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	int neg = v < 0;
	unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;

	buf[i] = 0;
	do {
		buf[--i] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (neg)
		buf[--i] = '-';
	put(buf + i);
}

static int same(const char *a, const char *b, unsigned long n)
{
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

static void fail(const char *what, long err)
{
	put("init: ");
	put(what);
	put(" failed: ");
	put_num(err);
	put("\n");
}

static void file_round_trip(void)
{
	static const char text[] = "written by init, read back by init\n";
	char back[64];
	long fd, n;

	fd = sys4(__NR_openat, AT_FDCWD, (long)"/hello.txt",
		  O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return fail("create /hello.txt", fd);
	n = sys3(__NR_write, fd, (long)text, sizeof(text) - 1);
	sys1(__NR_close, fd);
	if (n != sizeof(text) - 1)
		return fail("write /hello.txt", n);

	fd = sys4(__NR_openat, AT_FDCWD, (long)"/hello.txt", O_RDONLY, 0);
	if (fd < 0)
		return fail("open /hello.txt", fd);
	n = sys3(__NR_read, fd, (long)back, sizeof(back));
	sys1(__NR_close, fd);
	if (n != sizeof(text) - 1 || !same(text, back, n))
		return fail("read back /hello.txt", n);
	put("file: ");
	sys3(__NR_write, STDOUT, (long)back, n);
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* With "echo-stdin" after "--" on the kernel command line: show one line of input. */
static void echo_stdin(void)
{
	char line[128];
	long n = sys3(__NR_read, 0, (long)line, sizeof(line) - 1);

	if (n < 0)
		return fail("read stdin", n);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = 0;
	put("stdin: ");
	put(line);
	put("\n");
}

int main(int argc, char **argv)
{
	struct new_utsname u;
	long ret;
	int i;

	put("hello from userspace\n");

	ret = sys1(__NR_uname, (long)&u);
	if (ret < 0) {
		fail("uname", ret);
	} else {
		put("uname: ");
		put(u.sysname);
		put(" ");
		put(u.release);
		put(" ");
		put(u.machine);
		put("\n");
	}

	put("pid: ");
	put_num(sys0(__NR_getpid));
	put("\n");

	put("argv[0]: ");
	put(argc > 0 ? argv[0] : "(none)");
	put("\n");

	file_round_trip();

	for (i = 1; i < argc; i++)
		if (streq(argv[i], "echo-stdin"))
			echo_stdin();

	put("powering off\n");
	ret = sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		   LINUX_REBOOT_CMD_POWER_OFF, 0);
	fail("reboot", ret);
	return 1;
}

void __wasm_start_c(long *sp);

void __wasm_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);

	sys1(__NR_exit_group, main(argc, argv));
}
