// SPDX-License-Identifier: GPL-2.0
/*
 * vfork() on Asyncify, run as /init by test/e2e/vfork.test.ts (design and
 * figures in docs/vfork.md). With "bench" after "--" on the kernel command
 * line it also measures the CPU cost and the spawn rate.
 */
#include <linux/reboot.h>
#include <linux/time.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <asm/signal.h>
#include "io.h"

long vfork(void);
extern unsigned long vfork_buffer_used;
extern long long vfork_total_ns, vfork_clone_ns;
unsigned long __vfork_get_tls(void);

static volatile int shared_var;
static _Thread_local int tls_var = 5;

static long long now_ns(void)
{
	struct __kernel_timespec ts;

	__wasm_syscall(__NR_clock_gettime64, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_kv(const char *k, long long v)
{
	put(k);
	put_num(v);
	put("\n");
}

/* Test 1: the child prints, changes memory and _exits. */
static __attribute__((noinline)) void test_exit(void)
{
	volatile int on_stack = 1;	/* in the borrowed stack frame */
	int local = 100;		/* a wasm local: saved by asyncify */
	int status = -1;
	long pid;

	shared_var = 1;
	pid = vfork();
	if (pid == 0) {
		put("child: vfork returned 0, pid ");
		put_num(sys0(__NR_getpid));
		put(" ppid ");
		put_num(sys0(__NR_getppid));
		put(" local ");
		put_num(local);
		put(" __tls_base ");
		put_num(__vfork_get_tls());
		put(" tls_var ");
		put_num(tls_var);
		put("\n");
		shared_var = 2;
		on_stack = 3;
		tls_var = 7;
		local = 999;	/* not visible to the parent (like a register) */
		sys1(__NR_exit, 42);
	}
	put("parent: vfork returned ");
	put_num(pid);
	put(", shared_var ");
	put_num(shared_var);
	put(", on_stack ");
	put_num(on_stack);
	put(", tls_var ");
	put_num(tls_var);
	put(", local ");
	put_num(local);
	put(", __tls_base ");
	put_num(__vfork_get_tls());
	put("\n");
	put_kv("parent: asyncify bytes saved: ", vfork_buffer_used);
	put("parent: wait4 ");
	put_num(sys4(__NR_wait4, pid, (long)&status, 0, 0));
	put(" status ");
	put_num(status);
	put(" (exit ");
	put_num((status >> 8) & 255);
	put(")\n");
}

/* Test 2: vfork a few frames deep; the child execs. */
static __attribute__((noinline)) long spawn(const char *path, char *const *argv)
{
	static char *const envp[] = { "WHO=vfork-child", 0 };
	long pid = vfork();

	if (pid == 0) {
		sys3(__NR_execve, (long)path, (long)argv, (long)envp);
		sys1(__NR_exit, 127);
	}
	return pid;
}

static __attribute__((noinline)) int deep(int depth, int a, int b)
{
	static char *const argv[] = { "/init", "exec-child", 0 };
	int status = -1;
	long pid;

	if (depth > 0)
		return deep(depth - 1, a + 1, b * 2) + depth;
	pid = spawn("/init", argv);
	if (pid < 0 || sys4(__NR_wait4, pid, (long)&status, 0, 0) != pid)
		return -1000;
	put("parent: exec child ");
	put_num(pid);
	put(" status ");
	put_num(status);
	put(" a ");
	put_num(a);
	put(" b ");
	put_num(b);
	put("\n");
	return a + b;
}

/* CPU cost: the same functions, off and on the vfork path. */
static __attribute__((noinline)) int fib_plain(int n)
{
	return n < 2 ? n : fib_plain(n - 1) + fib_plain(n - 2);
}

static __attribute__((noinline)) int fib_path(int n)
{
	if (n < 0)
		return vfork();	/* never taken; makes fib_path instrumented */
	return n < 2 ? n : fib_path(n - 1) + fib_path(n - 2);
}

static __attribute__((noinline)) unsigned loop_plain(const unsigned char *p, int n, int rounds)
{
	unsigned h = 2166136261u;

	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			h = (h ^ p[i]) * 16777619u;
	return h;
}

static __attribute__((noinline)) unsigned loop_path(const unsigned char *p, int n, int rounds)
{
	unsigned h = 2166136261u;

	if (n < 0)
		return vfork();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			h = (h ^ p[i]) * 16777619u;
	return h;
}

static unsigned char blob[4096];
static volatile int blob_len = 4096;

static void bench_cpu(void)
{
	long long t0, t1, t2, best_plain = 1LL << 62, best_path = 1LL << 62;
	unsigned h1 = 0, h2 = 0;
	int f1 = 0, f2 = 0;

	for (int i = 0; i < 4096; i++)
		blob[i] = i * 7;
	for (int k = 0; k < 5; k++) {
		t0 = now_ns();
		f1 = fib_plain(30);
		t1 = now_ns();
		f2 = fib_path(30);
		t2 = now_ns();
		if (t1 - t0 < best_plain)
			best_plain = t1 - t0;
		if (t2 - t1 < best_path)
			best_path = t2 - t1;
	}
	put("fib(30) plain ns ");
	put_num(best_plain);
	put(" path ns ");
	put_num(best_path);
	put(" results ");
	put_num(f1);
	put(" ");
	put_num(f2);
	put("\n");
	best_plain = best_path = 1LL << 62;
	for (int k = 0; k < 5; k++) {
		t0 = now_ns();
		h1 = loop_plain(blob, blob_len, 5000);
		t1 = now_ns();
		h2 = loop_path(blob, blob_len, 5000);
		t2 = now_ns();
		if (t1 - t0 < best_plain)
			best_plain = t1 - t0;
		if (t2 - t1 < best_path)
			best_path = t2 - t1;
	}
	put("loop plain ns ");
	put_num(best_plain);
	put(" path ns ");
	put_num(best_path);
	put(" results ");
	put_num(h1);
	put(" ");
	put_num(h2);
	put("\n");
}

static void bench_spawn(int n)
{
	static char *const argv[] = { "/bin/true", 0 };
	long long t0 = now_ns();
	int failed = 0, status;

	for (int i = 0; i < n; i++) {
		long pid = spawn("/bin/true", argv);

		if (pid < 0 || sys4(__NR_wait4, pid, (long)&status, 0, 0) != pid || status != 0)
			failed++;
	}
	put("spawns: ");
	put_num(n);
	put(" failed: ");
	put_num(failed);
	put(" ns: ");
	put_num(now_ns() - t0);
	put("\n");
	put_kv("vfork total ns (unwind..parent return): ", vfork_total_ns);
	put_kv("of which clone syscall ns: ", vfork_clone_ns);
}

/* The same loop with the clone-based spawn of bench/guest/spawn.c. */
struct clone_frame { unsigned long fn, arg; long result; int state; };
static char clone_stack[16384] __attribute__((aligned(16)));

static void exec_true(void *arg)
{
	static char *const argv[] = { "/bin/true", 0 };
	static char *const envp[] = { 0 };

	(void)arg;
	sys3(__NR_execve, (long)argv[0], (long)argv, (long)envp);
	sys1(__NR_exit, 127);
}

static void bench_clone(int n)
{
	struct clone_frame *f = (struct clone_frame *)(clone_stack + sizeof(clone_stack) - 64);
	long long t0 = now_ns();
	int failed = 0, status;

	f->fn = (unsigned long)exec_true;
	f->arg = 0;
	f->state = 3;
	for (int i = 0; i < n; i++) {
		long pid = __wasm_syscall(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD,
					  (long)f, 0, 0, 0, 0);

		if (pid < 0 || sys4(__NR_wait4, pid, (long)&status, 0, 0) != pid || status != 0)
			failed++;
	}
	put("clone spawns: ");
	put_num(n);
	put(" failed: ");
	put_num(failed);
	put(" ns: ");
	put_num(now_ns() - t0);
	put("\n");
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && streq(argv[1], "exec-child")) {
		put("exec'd child: pid ");
		put_num(sys0(__NR_getpid));
		put(" ppid ");
		put_num(sys0(__NR_getppid));
		put(" env ");
		put(envp[0] ? envp[0] : "(none)");
		put("\n");
		return 7;
	}
	put("parent: pid ");
	put_num(sys0(__NR_getpid));
	put("\n");
	test_exit();
	put_kv("parent: deep returned ", deep(3, 10, 1));
	test_exit();
	if (argc > 1 && streq(argv[1], "bench")) {
		bench_cpu();
		for (int k = 0; k < 3; k++) {
			bench_clone(1000);
			bench_spawn(1000);
		}
	}
	sys4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	     LINUX_REBOOT_CMD_POWER_OFF, 0);
	return 0;
}
