// SPDX-License-Identifier: GPL-2.0
/*
 * Process creation without fork: clone(CLONE_VM | CLONE_VFORK) starts a
 * child that shares this program's memory; the parent sleeps until the
 * child exits, then reaps it with wait4. Used as /init by test/e2e.
 */

#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <asm/signal.h>
#include "io.h"

static volatile long shared_word;
static long child_pid_seen;
static int child_execs;
static char child_stack[16384] __attribute__((aligned(16)));

void clone_child_main(void);

/* Runs in the child: a fresh instance of this program, same memory. */
void clone_child_main(void)
{
	child_pid_seen = sys0(__NR_getpid);
	put("child: pid ");
	put_num(child_pid_seen);
	put(" ppid ");
	put_num(sys0(__NR_getppid));
	put("\n");
	shared_word = 0x5eed;
	if (child_execs) {
		static char *const argv[] = { "/init", "hello-from-exec", 0 };
		static char *const envp[] = { "WHO=exec-test", 0 };
		long ret = sys3(__NR_execve, (long)"/init", (long)argv, (long)envp);

		put("child: execve failed: ");
		put_num(ret);
		put("\n");
		sys1(__NR_exit, 99);
	}
	sys1(__NR_exit, 42);
}

static void power_off(void)
{
	sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	     LINUX_REBOOT_CMD_POWER_OFF, 0);
}

/*
 * Output lines are built here and written with one write(): after a vfork
 * the parent and the exec'd child run side by side, and lines written piece
 * by piece would interleave.
 */
static char line[256];
static int line_len;

static void add(const char *s)
{
	while (*s && line_len < (int)sizeof(line) - 1)
		line[line_len++] = *s++;
}

static void add_num(long long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	buf[i] = 0;
	do {
		buf[--i] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--i] = '-';
	add(buf + i);
}

static void end_line(void)
{
	add("\n");
	sys3(__NR_write, 1, (long)line, line_len);
	line_len = 0;
}

/* One clone: the child exits, or execs this program again. */
static void clone_once(int exec)
{
	long pid, ret;
	int status = -1;

	child_execs = exec;
	child_pid_seen = 0;
	shared_word = 0;
	pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
			     (long)(child_stack + sizeof(child_stack)), 0, 0, 0, 0);
	if (pid < 0) {
		put("parent: clone failed: ");
		put_num(pid);
		put("\n");
		return;
	}
	/* CLONE_VFORK: by now the child has exited or exec'd. */
	add("parent: clone returned ");
	add_num(pid);
	add(", child saw pid ");
	add_num(child_pid_seen);
	add(", shared word ");
	add_num(shared_word);
	end_line();

	ret = sys4(__NR_wait4, pid, (long)&status, 0, 0);
	add("parent: wait4 returned ");
	add_num(ret);
	add(" status ");
	add_num(status);
	end_line();
}

int main(int argc, char **argv, char **envp)
{
	int status = 0;

	if (argc > 1 && streq(argv[1], "hello-from-exec")) {
		add("exec'd: pid ");
		add_num(sys0(__NR_getpid));
		add(" ppid ");
		add_num(sys0(__NR_getppid));
		add(" env ");
		add(envp[0] ? envp[0] : "(none)");
		end_line();
		return 7;
	}

	put("parent: pid ");
	put_num(sys0(__NR_getpid));
	put("\n");

	clone_once(0);
	clone_once(1);

	/* A second wait finds no children. */
	put("parent: wait4 again ");
	put_num(sys4(__NR_wait4, -1, (long)&status, WNOHANG, 0));
	put("\n");
	power_off();
	return 0;
}

void __wasm_start_c(long *sp);

void __wasm_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);

	sys1(__NR_exit_group, main(argc, argv, argv + argc + 1));
}
