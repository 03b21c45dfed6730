// SPDX-License-Identifier: GPL-2.0
/*
 * The first user program: proves that a process runs in its own wasm
 * instance and talks to the kernel only through system calls.
 */

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mount.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/utsname.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <asm/signal.h>
#include <asm/termbits.h>
#include "io.h"
#include "net.h"

#define STDOUT 1

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

/*
 * Command mode: the host appends /etc/wasmlinux/run to the initramfs for
 * "wasmlinux -- CMD ARGS". It holds "stdio=XYZ\n", then CMD and ARGS, each
 * NUL-terminated. X, Y, Z say for the host's stdin, stdout and stderr
 * whether it is a terminal ('t': the command gets the console) or not ('p':
 * it gets /dev/host_stdin, host_stdout or host_stderr, which pass bytes
 * through unchanged and keep stdout and stderr apart). init runs the
 * command, waits, and stops the machine with its status.
 */
#define RUN_FILE	"/etc/wasmlinux/run"
#define MAX_ARGS	255

static char run_buf[65536];
static char *run_argv[MAX_ARGS + 1];
/* What the clone()d child runs: the command, or a helper (net.c). */
static char *const *child_argv = run_argv;
static char exec_path[4096];
static char child_stack[16384] __attribute__((aligned(16)));

void clone_child_main(void);

/* The clone()d child: find the command like a shell would and exec it. */
void clone_child_main(void)
{
	static const char *const dirs[] = { "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", 0 };
	static char *const envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", 0 };
	const char *cmd = child_argv[0];
	long ret = -2;
	int i, j, k;

	for (i = 0; cmd[i] && cmd[i] != '/'; i++)
		;
	if (cmd[i] == '/') {
		ret = sys3(__NR_execve, (long)cmd, (long)child_argv, (long)envp);
	} else {
		for (i = 0; dirs[i] && (ret == -2 || ret == -13); i++) {
			k = 0;
			for (j = 0; dirs[i][j]; j++)
				exec_path[k++] = dirs[i][j];
			for (j = 0; cmd[j] && k < (int)sizeof(exec_path) - 1; j++)
				exec_path[k++] = cmd[j];
			exec_path[k] = 0;
			ret = sys3(__NR_execve, (long)exec_path, (long)child_argv, (long)envp);
		}
	}
	sys3(__NR_write, 2, (long)"wasmlinux: ", 11);
	sys3(__NR_write, 2, (long)cmd, len(cmd));
	if (ret == -2)
		sys3(__NR_write, 2, (long)": command not found\n", 20);
	else
		sys3(__NR_write, 2, (long)": cannot execute\n", 17);
	sys1(__NR_exit, ret == -2 ? 127 : 126);
}

/* fd 0, 1, 2 on the host's own streams where those are not terminals. */
static void host_streams(const char *flags)
{
	static const char *const dev[] = {
		"/dev/host_stdin", "/dev/host_stdout", "/dev/host_stderr"
	};
	long fd;
	int i;

	for (i = 0; i < 3; i++) {
		if (flags[i] != 'p')
			continue;
		fd = sys4(__NR_openat, AT_FDCWD, (long)dev[i], i ? O_WRONLY : O_RDONLY, 0);
		if (fd < 0)
			continue;
		if (fd != i) {
			sys3(__NR_dup3, fd, i, 0);
			sys1(__NR_close, fd);
		}
	}
}

/*
 * fd 0-2 came from the initramfs's /dev/console, which the devtmpfs mount
 * now hides: reopen the console there, so that ttyname() (which compares
 * /proc/self/fd/N with the path's inode) names the terminal.
 */
static void reopen_console(const char *flags)
{
	long fd = sys4(__NR_openat, AT_FDCWD, (long)"/dev/console", O_RDWR, 0);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < 3; i++)
		if (flags[i] == 't' && fd != i)
			sys3(__NR_dup3, fd, i, 0);
	if (fd > 2)
		sys1(__NR_close, fd);
}

/* Without a terminal on the host side: no echo, and \n stays \n. */
static void console_for_pipes(void)
{
	struct termios t;

	if (sys3(__NR_ioctl, 0, TCGETS, (long)&t) < 0)
		return;
	t.c_lflag &= ~(ECHO | ECHONL);
	t.c_oflag &= ~OPOST;
	sys3(__NR_ioctl, 0, TCSETS, (long)&t);
}

static void stop_with_status(int code)
{
	static char cmd[] = "exit:000";

	cmd[5] = '0' + code / 100;
	cmd[6] = '0' + code / 10 % 10;
	cmd[7] = '0' + code % 10;
	sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	     LINUX_REBOOT_CMD_RESTART2, (long)cmd);
}

/* What a command expects to find: /proc, /sys, /dev, /dev/shm and a writable /tmp. */
static void mount_basics(void)
{
	static const char *const fs[][4] = {
		{ "proc", "/proc", "proc", 0 },
		{ "sysfs", "/sys", "sysfs", 0 },
		{ "devtmpfs", "/dev", "devtmpfs", 0 },
		{ "tmpfs", "/dev/shm", "tmpfs", "mode=1777" },
		{ "tmpfs", "/tmp", "tmpfs", 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		__wasm_syscall(__NR_mkdirat, AT_FDCWD, (long)fs[i][1], 0755, 0, 0, 0);
		__wasm_syscall(__NR_mount, (long)fs[i][0], (long)fs[i][1],
			       (long)fs[i][2], 0, (long)fs[i][3], 0);
	}
}

/* The name in /etc/hostname, as /sbin/init sets it for the interactive system. */
static void set_hostname(void)
{
	char name[65];
	long fd = sys4(__NR_openat, AT_FDCWD, (long)"/etc/hostname", O_RDONLY, 0);
	long n = 0;

	if (fd >= 0) {
		n = sys3(__NR_read, fd, (long)name, sizeof(name) - 1);
		sys1(__NR_close, fd);
	}
	while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' '))
		n--;
	if (n > 0)
		sys2(__NR_sethostname, (long)name, n);
}

/*
 * Wait for the command, reaping every other child meanwhile: processes
 * whose parents died are re-parented to us, and as init we are the only
 * one who can collect them; left alone they would fill the process table
 * of a long-running command.
 */
static void wait_for(long pid, int *status)
{
	for (;;) {
		int st = 0;
		long r = sys4(__NR_wait4, -1, (long)&st, 0, 0);

		if (r == pid) {
			*status = st;
			return;
		}
		if (r < 0 && r != -EINTR)
			stop_with_status(126);
	}
}

/* Run a program (found on PATH) to its end; returns its wait status, or -errno. */
int run_and_wait(char *const *argv)
{
	int status = 0;
	long pid;

	child_argv = argv;
	pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
			     (long)(child_stack + sizeof(child_stack)), 0, 0,
			     (long)__builtin_wasm_tls_base(), 0);
	child_argv = run_argv;
	if (pid < 0)
		return pid;
	wait_for(pid, &status);
	return status;
}

/* Returns only if there is no command to run. */
static void run_command(void)
{
	long fd = sys4(__NR_openat, AT_FDCWD, (long)RUN_FILE, O_RDONLY, 0);
	long n, pid;
	int argc = 0, status = 0, code;
	char *p, *end;

	if (fd < 0)
		return;
	n = sys3(__NR_read, fd, (long)run_buf, sizeof(run_buf) - 1);
	sys1(__NR_close, fd);
	if (n < 9 || run_buf[7] != 't')
		console_for_pipes();
	mount_basics();
	set_hostname();
	if (n >= 9) {
		reopen_console(run_buf + 6);
		host_streams(run_buf + 6);
	}
	p = run_buf;
	end = run_buf + (n > 0 ? n : 0);
	while (p < end && *p != '\n')
		p++;
	for (p++; p < end && argc < MAX_ARGS; argc++) {
		run_argv[argc] = p;
		while (p < end && *p)
			p++;
		p++;
	}
	run_argv[argc] = 0;
	if (argc == 0)
		stop_with_status(127);

	pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
			     (long)(child_stack + sizeof(child_stack)), 0, 0,
			     (long)__builtin_wasm_tls_base(), 0);
	if (pid < 0)
		stop_with_status(126);
	wait_for(pid, &status);
	/* A shell's $?: the exit code, or 128 + the signal that killed it. */
	code = (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
	stop_with_status(code);
}

/* mkdir -p: every directory of path, which is absolute. */
static void make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		sys3(__NR_mkdirat, AT_FDCWD, (long)path, 0755);
		*p = '/';
	}
	sys3(__NR_mkdirat, AT_FDCWD, (long)path, 0755);
}

/*
 * The 9P mount options: 512 KiB messages; uname=root, since the mount's own
 * attach is made for root here, and servers that act on the attaching user
 * (diod) would otherwise refuse "nobody"; locktimeout=1, so a blocked
 * F_SETLKW asks the server again each second, not each 30 s.  No cache by
 * default: the host may change the directory under the guest, and every
 * name, attribute and byte is then asked for.  With the "cache" flag (a
 * store nothing else changes), cache=0xa keeps names and attributes
 * without asking again (CACHE_META|CACHE_LOOSE): a create+stat+unlink one
 * directory down takes 12 requests, where it takes 25 uncached.  File data
 * is not cached and writes go through, so a full store fails the write()
 * itself.  (Kernel patch 0005
 * moves netfs's sizes on those writes; without that, a read right after a
 * write gave nothing or zeros.)
 */
#define P9_OPTIONS "trans=wasm,version=9p2000.L,msize=524288,uname=root,locktimeout=1"
#define P9_OPTIONS_CACHED P9_OPTIONS ",cache=0xa"

/*
 * WASMLINUX_MOUNTS=TAG:DIR[:ro][:cache],... (the CLI's --mount): mount the
 * host's 9P exports, for the interactive system and for a command alike.
 */
static void mount_exports(char **envp)
{
	static const char key[] = "WASMLINUX_MOUNTS=";
	static char spec[4096];
	char *entry, *next, *dir, *flag, *end;
	const char *src = 0;
	unsigned long flags;
	int cached;
	long ret;
	int i;

	for (i = 0; envp[i]; i++)
		if (same(envp[i], key, sizeof(key) - 1))
			src = envp[i] + sizeof(key) - 1;
	if (!src || len(src) >= sizeof(spec))
		return;
	for (i = 0; src[i]; i++)
		spec[i] = src[i];
	spec[i] = 0;
	for (entry = spec; entry && *entry; entry = next) {
		next = entry;
		while (*next && *next != ',')
			next++;
		if (*next)
			*next++ = 0;
		else
			next = 0;
		for (dir = entry; *dir && *dir != ':'; dir++)
			;
		if (!*dir)
			continue;
		*dir++ = 0;
		flags = 0;
		cached = 0;
		for (flag = dir; *flag && *flag != ':'; flag++)
			;
		while (*flag == ':') {
			*flag++ = 0;
			for (end = flag; *end && *end != ':'; end++)
				;
			if (end - flag == 2 && same(flag, "ro", 2))
				flags |= MS_RDONLY;
			else if (end - flag == 5 && same(flag, "cache", 5))
				cached = 1;
			flag = end;
		}
		make_dirs(dir);
		ret = __wasm_syscall(__NR_mount, (long)entry, (long)dir, (long)"9p",
				     flags, (long)(cached ? P9_OPTIONS_CACHED :
						   P9_OPTIONS), 0);
		if (ret < 0) {
			put("init: cannot mount the host's ");
			put(entry);
			put(" on ");
			put(dir);
			put(": error ");
			put_num(-ret);
			put("\n");
		}
	}
}

/*
 * Without a command: the interactive system, /sbin/init, unless the
 * command line asks for this program's own demonstration ("demo" or
 * "echo-stdin" after "--").
 */
static void interactive(int argc, char **argv, char **envp)
{
	static char *const init_argv[] = { "/sbin/init", 0 };
	long ret;
	int i;

	for (i = 1; i < argc; i++)
		if (streq(argv[i], "demo") || streq(argv[i], "echo-stdin"))
			return;
	ret = sys3(__NR_execve, (long)init_argv[0], (long)init_argv, (long)envp);
	fail("exec /sbin/init", ret);
}

int main(int argc, char **argv, char **envp)
{
	struct new_utsname u;
	long ret;
	int i;

	mount_exports(envp);
	net_up(envp);
	run_command();
	interactive(argc, argv, envp);

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

	sys1(__NR_exit_group, main(argc, argv, argv + argc + 1));
}
