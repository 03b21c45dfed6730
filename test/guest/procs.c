// SPDX-License-Identifier: GPL-2.0
/*
 * Process isolation and exec checks, run as /init by test/e2e/isolation.
 *
 * As init: keep a secret in memory, spawn children (clone + execve of this
 * same program with other arguments) that try to read it, that crash, and
 * that are scripts; try to execute files that are not programs.
 */

#include <linux/fcntl.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <asm/signal.h>
#include "io.h"
#include "spawn.h"

/* Filled at run time from getrandom(): no other program image holds it. */
static unsigned char secret[16];

static unsigned long parse_num(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* posix_spawn the hard way; returns the wait status. */

/* Child: look for the secret at its address, directly and via /proc. */
static int peek(const char *addr_text)
{
	unsigned long addr = parse_num(addr_text);
	unsigned char buf[16];
	long fd, n;

	put("peek: own memory at that address: ");
	put_hex((const unsigned char *)addr, 16);
	put("\n");

	n = __wasm_syscall(__NR_mkdirat, AT_FDCWD, (long)"/proc", 0555, 0, 0, 0);
	n = __wasm_syscall(__NR_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0, 0);
	put("peek: mount proc ");
	put_num(n);
	put("\n");
	fd = sys4(__NR_openat, AT_FDCWD, (long)"/proc/1/mem", O_RDONLY, 0);
	put("peek: open /proc/1/mem ");
	put_num(fd < 0 ? fd : 0);
	put("\n");
	if (fd >= 0) {
		n = __wasm_syscall(__NR_pread64, fd, (long)buf, sizeof(buf), addr, 0, 0);
		put("peek: pread ");
		put_num(n);
		if (n > 0) {
			put(" ");
			put_hex(buf, n);
		}
		put("\n");
	}
	return 0;
}

/* cp src dst, with dst truncated: a new version of the same file. */
static long copy_file(const char *src, const char *dst)
{
	static char buf[4096];
	long in, out, n, total = 0;

	in = sys4(__NR_openat, AT_FDCWD, (long)src, O_RDONLY, 0);
	if (in < 0)
		return in;
	out = sys4(__NR_openat, AT_FDCWD, (long)dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0)
		return out;
	while ((n = sys3(__NR_read, in, (long)buf, sizeof(buf))) > 0)
		total += sys3(__NR_write, out, (long)buf, n);
	sys1(__NR_close, in);
	sys1(__NR_close, out);
	return total;
}

static void try_exec(const char *path)
{
	char *const argv[] = { (char *)path, 0 };
	char *const envp[] = { 0 };

	put("exec ");
	put(path);
	put(": ");
	put_num(sys3(__NR_execve, (long)path, (long)argv, (long)envp));
	put("\n");
}

int main(int argc, char **argv)
{
	char addr[24];
	int i = sizeof(addr) - 1;
	unsigned long a = (unsigned long)secret;

	if (argc > 2 && streq(argv[1], "peek"))
		return peek(argv[2]);
	if (argc > 2 && streq(argv[1], "crash")) {
		if (streq(argv[2], "segv"))
			*(volatile int *)0xfffffff0 = 1;
		__builtin_trap();
	}
	if (argc > 1 && streq(argv[1], "cat")) {
		static char buf[4096];
		long n;

		while ((n = sys3(__NR_read, 0, (long)buf, sizeof(buf))) > 0)
			sys3(__NR_write, 1, (long)buf, n);
		return n < 0 ? 1 : 0;
	}
	if (argc > 1 && streq(argv[1], "script-ran")) {
		put("script: ran with ");
		put(argc > 2 ? argv[2] : "(nothing)");
		put("\n");
		return 3;
	}

	put("init: getrandom ");
	put_num(sys3(__NR_getrandom, (long)secret, sizeof(secret), 0));
	put("\n");
	put("init: secret at ");
	put_num(a);
	put(" is ");
	put_hex((const unsigned char *)secret, 16);
	put("\n");

	try_exec("/bad/text");
	try_exec("/bad/empty");
	try_exec("/bad/truncated");
	try_exec("/bad/corrupt");

	addr[i] = 0;
	do {
		addr[--i] = '0' + a % 10;
		a /= 10;
	} while (a);
	{
		char *const peek_argv[] = { "/init", "peek", addr + i, 0 };
		char *const segv_argv[] = { "/init", "crash", "segv", 0 };
		char *const ill_argv[] = { "/init", "crash", "ill", 0 };
		char *const script_argv[] = { "/bad/script", 0 };
		char *const mislinked_argv[] = { "/bad/mislinked", 0 };
		int st;

		st = spawn_wait("/init", peek_argv);
		put("init: peek status ");
		put_num(st);
		put("\n");
		st = spawn_wait("/init", segv_argv);
		put("init: segv status ");
		put_num(st);
		put("\n");
		st = spawn_wait("/init", ill_argv);
		put("init: ill status ");
		put_num(st);
		put("\n");
		st = spawn_wait("/bad/script", script_argv);
		put("init: script status ");
		put_num(st);
		put("\n");
		st = spawn_wait("/bad/mislinked", mislinked_argv);
		put("init: mislinked status ");
		put_num(st);
		put("\n");
	}

	/* Replacing a program's file must run the new program, not a cached one. */
	{
		char *const x_argv[] = { "/x", "script-ran", "x", 0 };
		int st;

		copy_file("/init", "/x");
		st = spawn_wait("/x", x_argv);
		put("init: x as procs status ");
		put_num(st);
		put("\n");
		copy_file("/bin/true", "/x");
		st = spawn_wait("/x", x_argv);
		put("init: x as true status ");
		put_num(st);
		put("\n");
	}

	put("init: secret still ");
	put_hex((const unsigned char *)secret, 16);
	put("\n");
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
