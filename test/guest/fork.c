// SPDX-License-Identifier: GPL-2.0
/*
 * Process copies: clone() without CLONE_VM gives the child a copy of this
 * process's memory, at the same addresses, in a fresh instance of this
 * program. Each subcommand prints one line of what it found, for
 * test/e2e/fork.test.ts:
 *
 *   copy      a 32 MiB heap, a global and a stack array survive into the
 *             child byte for byte; what either side writes afterwards the
 *             other never sees
 *   nested    a copy's child makes a copy of its own
 *   many N    N copies made, exited and reaped in a row
 *   pipe      parent and child talk both ways through pipes
 *   fork      fork() returns twice, with copies apart (the rest use clone)
 *   forkmany N  N forks in a row, each exiting with its own status
 *   inherit   files, signal handlers and mask, cwd, rlimits, process group
 *   statuses  waitpid: exit, signal, stop, continue, WNOHANG
 *   atfork    pthread_atfork handlers run in POSIX's order
 *   threads   fork in a process of 4 threads: the child has one
 *   system    system() and popen() both ways
 *   bomb N    a fork bomb under RLIMIT_NPROC N fails with EAGAIN
 *   shared    fork refuses while a shared anonymous mapping exists
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAP_BYTES (32u << 20)
#define CHILD_STACK (64 * 1024)

static int global_word = 1;
static unsigned char *heap;

static uint32_t pattern(uint32_t i)
{
	return (i * 2654435761u) >> 24;
}

static uint32_t checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
 * clone() without CLONE_VM: fn(arg) runs in the child, on its own copy of
 * this memory, on a stack allocated here: the copy is made during the
 * call, so the child has the stack and this process can free its own.
 */
static pid_t copy_process(int (*fn)(void *), void *arg)
{
	char *stack = malloc(CHILD_STACK);
	pid_t pid;

	if (!stack) {
		perror("malloc");
		exit(2);
	}
	pid = clone(fn, stack + CHILD_STACK, SIGCHLD, arg);
	free(stack);
	if (pid < 0) {
		printf("clone: %s\n", strerror(errno));
		exit(3);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		printf("waitpid: %s\n", strerror(errno));
		exit(4);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct copy_args {
	uint32_t heap_sum;
	unsigned char *stack_array;
	uint32_t stack_sum;
};

/* Exit status: a bit for each thing that did not come through. */
static int copy_child(void *p)
{
	struct copy_args *a = p;
	int bad = 0;

	if (global_word != 1)
		bad |= 1;
	if (checksum(heap, HEAP_BYTES) != a->heap_sum)
		bad |= 2;
	if (checksum(a->stack_array, 256) != a->stack_sum)
		bad |= 4;
	/* Now scribble on all of it: the parent must not see any of this. */
	global_word = 2;
	memset(heap, 0xff, HEAP_BYTES);
	memset(a->stack_array, 0xee, 256);
	return bad;
}

static int cmd_copy(void)
{
	unsigned char stack_array[256];
	struct copy_args a;
	uint32_t before;
	int status;

	heap = malloc(HEAP_BYTES);
	if (!heap)
		return printf("copy: no heap\n"), 1;
	for (uint32_t i = 0; i < HEAP_BYTES; i++)
		heap[i] = pattern(i);
	for (int i = 0; i < 256; i++)
		stack_array[i] = (unsigned char)(i * 7);
	before = checksum(heap, HEAP_BYTES);
	a.heap_sum = before;
	a.stack_array = stack_array;
	a.stack_sum = checksum(stack_array, 256);

	status = wait_status(copy_process(copy_child, &a));
	printf("copy: child %d parent global %d heap %s stack %s\n", status, global_word,
	       checksum(heap, HEAP_BYTES) == before ? "same" : "changed",
	       checksum(stack_array, 256) == a.stack_sum ? "same" : "changed");
	return 0;
}

static int grandchild(void *p)
{
	(void)p;
	return global_word == 30 ? 7 : 1;
}

static int nested_child(void *p)
{
	int status;

	(void)p;
	global_word = 30;
	status = wait_status(copy_process(grandchild, 0));
	return status == 7 ? 5 : 1;
}

static int cmd_nested(void)
{
	int status = wait_status(copy_process(nested_child, 0));

	printf("nested: child %d parent global %d\n", status, global_word);
	return 0;
}

static int exit_with(void *p)
{
	return (int)(intptr_t)p & 0x7f;
}

static int cmd_many(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		if (wait_status(copy_process(exit_with, (void *)(intptr_t)i)) == (i & 0x7f))
			ok++;
	printf("many: %d of %d\n", ok, n);
	return 0;
}

static int to_child[2], to_parent[2];

static int pipe_child(void *p)
{
	char buf[64];
	ssize_t n;

	(void)p;
	close(to_child[1]);
	close(to_parent[0]);
	n = read(to_child[0], buf, sizeof(buf) - 1);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	dprintf(to_parent[1], "child got [%s] pid %d", buf, (int)getpid());
	return 0;
}

static int cmd_pipe(void)
{
	char buf[128];
	ssize_t n;
	pid_t pid;

	if (pipe(to_child) || pipe(to_parent))
		return printf("pipe: %s\n", strerror(errno)), 1;
	pid = copy_process(pipe_child, 0);
	close(to_child[0]);
	close(to_parent[1]);
	write(to_child[1], "ping", 4);
	n = read(to_parent[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("pipe: %s; child is %s; status %d\n", buf,
	       strstr(buf, "pid ") && atoi(strstr(buf, "pid ") + 4) == pid ? "the pid clone gave" :
									  "someone else",
	       wait_status(pid));
	return 0;
}

/*
 * fork() itself: it returns twice. The child finds globals, the heap and
 * this function's own variables as they were at the call, changes them,
 * and ends by returning from main (which must flush its stdio, as exit()
 * does); the parent sees none of the child's changes.
 */
static int cmd_fork(void)
{
	volatile int stack_word = 11;
	char *h = malloc(64);
	pid_t pid;
	int status;

	if (!h)
		return 1;
	strcpy(h, "parent heap");
	global_word = 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return printf("fork: %s\n", strerror(errno)), 1;
	if (pid == 0) {
		int ok = global_word == 1 && stack_word == 11 && !strcmp(h, "parent heap");

		global_word = 2;
		stack_word = 22;
		strcpy(h, "child heap");
		printf("fork child: saw %s, pid %s\n", ok ? "the parent's values" : "something else",
		       getpid() != getppid() ? "its own" : "the parent's");
		return ok ? 0 : 1;
	}
	status = wait_status(pid);
	printf("fork: child %d parent global %d stack %d heap [%s]\n", status, global_word,
	       stack_word, h);
	return 0;
}

static int cmd_forkmany(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(i & 0x7f);
		if (pid > 0 && wait_status(pid) == (i & 0x7f))
			ok++;
	}
	printf("forkmany: %d of %d\n", ok, n);
	return 0;
}

/*
 * What a fork child inherits from the kernel: open files, signal
 * dispositions and mask, cwd, rlimits, process group and session. Exit
 * status: a bit for each that did not come through.
 */
static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static int cmd_inherit(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, now;
	struct rlimit rl = { 50, 60 }, got;
	sigset_t block, mask;
	int fds[2], status;
	char cwd[64], buf[16] = "";
	pid_t pid, pgid = getpgrp(), sid = getsid(0), parent = getpid();

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	setrlimit(RLIMIT_NOFILE, &rl);
	chdir("/tmp");
	if (pipe(fds))
		return printf("inherit: pipe: %s\n", strerror(errno)), 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		if (write(fds[1], "through", 7) != 7)
			bad |= 1;
		sigaction(SIGUSR1, NULL, &now);
		raise(SIGUSR1);
		if (now.sa_handler != on_usr1 || usr1 != 1)
			bad |= 2;
		sigaction(SIGUSR2, NULL, &now);
		if (now.sa_handler != SIG_IGN)
			bad |= 4;
		sigprocmask(SIG_BLOCK, NULL, &mask);
		if (!sigismember(&mask, SIGTERM))
			bad |= 8;
		if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/tmp"))
			bad |= 16;
		if (getrlimit(RLIMIT_NOFILE, &got) || got.rlim_cur != 50 || got.rlim_max != 60)
			bad |= 32;
		if (getpgrp() != pgid || getsid(0) != sid || getppid() != parent)
			bad |= 64;
		_exit(bad);
	}
	close(fds[1]);
	read(fds[0], buf, sizeof(buf) - 1);
	status = wait_status(pid);
	printf("inherit: child %d pipe [%s] parent usr1 %d\n", status, buf, (int)usr1);
	return 0;
}

/* What waitpid reports: exit, death by signal, stop, continue, nothing yet. */
static int cmd_statuses(void)
{
	int st, exit3 = -1, sig = -1, abrt = -1, stopped = -1, cont = 0, nohang = -1;
	int fds[2];
	pid_t pid;

	if ((pid = fork()) == 0)
		_exit(3);
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		exit3 = WEXITSTATUS(st);

	if (pipe(fds))
		return 1;
	if ((pid = fork()) == 0) {
		char c;

		read(fds[0], &c, 1); /* never comes */
		_exit(0);
	}
	nohang = waitpid(pid, &st, WNOHANG);
	kill(pid, SIGSTOP);
	if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st))
		stopped = WSTOPSIG(st);
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st))
		cont = 1;
	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st))
		sig = WTERMSIG(st);

	if ((pid = fork()) == 0)
		abort();
	if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st))
		abrt = WTERMSIG(st);
	printf("statuses: exit %d nohang %d stopped %d continued %d signal %d abort %d\n", exit3,
	       nohang, stopped, cont, sig, abrt);
	return 0;
}

/* pthread_atfork: prepare handlers in reverse order, parent and child in order. */
static char order[64];

static void note(const char *what)
{
	strcat(order, what);
}
static void prep_a(void) { note(" prepA"); }
static void prep_b(void) { note(" prepB"); }
static void parent_a(void) { note(" parentA"); }
static void parent_b(void) { note(" parentB"); }
static void child_a(void) { note(" childA"); }
static void child_b(void) { note(" childB"); }

static int cmd_atfork(void)
{
	int fds[2];
	char child[64] = "";
	pid_t pid;

	pthread_atfork(prep_a, parent_a, child_a);
	pthread_atfork(prep_b, parent_b, child_b);
	if (pipe(fds))
		return 1;
	pid = fork();
	if (pid == 0) {
		write(fds[1], order, strlen(order));
		_exit(0);
	}
	close(fds[1]);
	read(fds[0], child, sizeof(child) - 1);
	wait_status(pid);
	printf("atfork: parent [%s ] child [%s ]\n", order, child);
	return 0;
}

/*
 * fork in a process of 4 threads (3 busy): the child has only the thread
 * that called fork, and can start threads of its own; the parent's go on.
 */
static atomic_int stop_busy;
static atomic_long busy_work;

static void *busy(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_busy))
		atomic_fetch_add(&busy_work, 1);
	return NULL;
}

static void *answer(void *arg)
{
	return (void *)((intptr_t)arg + 1);
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int cmd_threads(void)
{
	pthread_t t[3];
	int parent_tasks, status;
	long before;
	pid_t pid;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, busy, NULL);
	while (atomic_load(&busy_work) < 1000)
		sched_yield();
	parent_tasks = count_tasks();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pthread_t n;
		void *r = NULL;
		int tasks = count_tasks();

		before = atomic_load(&busy_work);
		usleep(50000);
		/* Nobody here adds to busy_work any more. */
		if (atomic_load(&busy_work) != before)
			_exit(10);
		if (pthread_create(&n, NULL, answer, (void *)41) || pthread_join(n, &r))
			_exit(11);
		_exit(tasks == 1 && (intptr_t)r == 42 ? 0 : 12);
	}
	status = wait_status(pid);
	before = atomic_load(&busy_work);
	usleep(50000);
	printf("fork-threads: child %d parent tasks %d parent busy %s\n", status, parent_tasks,
	       atomic_load(&busy_work) > before ? "yes" : "no");
	atomic_store(&stop_busy, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* system() and popen() both ways. */
static int cmd_system(void)
{
	char line[64] = "", back[64] = "";
	int st = system("exit 7");
	FILE *f = popen("echo from-child", "r");

	if (!f || !fgets(line, sizeof(line), f))
		return printf("system: popen r failed\n"), 1;
	line[strcspn(line, "\n")] = 0;
	pclose(f);
	f = popen("cat > /tmp/popen-out", "w");
	if (!f)
		return printf("system: popen w failed\n"), 1;
	fputs("to-child", f);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (pclose(f))
		return printf("system: pclose failed\n"), 1;
	f = fopen("/tmp/popen-out", "r");
	if (!f || !fgets(back, sizeof(back), f))
		return printf("system: no output file\n"), 1;
	fclose(f);
	printf("system: status %d read [%s] wrote [%s]\n", st, line, back);
	return 0;
}

/*
 * A fork bomb under RLIMIT_NPROC (as a user: root is exempt): every
 * process forks for ever until fork fails; the first failure is reported,
 * then the whole process group is killed.
 */
static int cmd_bomb(int limit)
{
	struct rlimit rl = { limit, limit };
	int fds[2], status;
	char c = '?';
	pid_t leader;

	if (pipe(fds))
		return 1;
	fflush(stdout);
	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		if (setgid(1000) || setuid(1000) || setrlimit(RLIMIT_NPROC, &rl))
			_exit(1);
		for (;;) {
			if (fork() < 0) {
				c = errno == EAGAIN ? 'A' : 'X';
				write(fds[1], &c, 1);
				for (;;)
					pause();
			}
		}
	}
	close(fds[1]);
	read(fds[0], &c, 1);
	kill(-leader, SIGKILL);
	status = wait_status(leader);
	printf("bomb: first failure %s leader %d\n", c == 'A' ? "EAGAIN" : "other", status);
	return 0;
}

/*
 * A shared anonymous mapping cannot stay shared across fork (the child's
 * memory is a copy): fork fails with ENOMEM while one exists, rather than
 * letting the two copies drift apart. Private ones fork as usual.
 */
static int cmd_shared(void)
{
	char *sh = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *with, *half, *after;
	pid_t pid;

	if (sh == MAP_FAILED || priv == MAP_FAILED)
		return printf("shared: mmap: %s\n", strerror(errno)), 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	with = pid < 0 ? (errno == ENOMEM ? "ENOMEM" : strerror(errno)) : "forked";
	if (pid > 0)
		wait_status(pid);
	/* Half of it unmapped: still shared. */
	munmap(sh, 4096);
	pid = fork();
	if (pid == 0)
		_exit(0);
	half = pid < 0 ? (errno == ENOMEM ? "ENOMEM" : strerror(errno)) : "forked";
	if (pid > 0)
		wait_status(pid);
	munmap(sh + 4096, 4096);
	priv[0] = 1;
	pid = fork();
	if (pid == 0)
		_exit(priv[0] == 1 ? 0 : 1);
	after = pid < 0 ? strerror(errno) : wait_status(pid) == 0 ? "forked" : "child wrong";
	printf("shared: with %s half %s unmapped %s\n", with, half, after);
	return 0;
}

/* --- deadstack ------------------------------------------------------- */

#define SCRIBBLE 0xa5

/* Fills 20 frames of 32 KiB below the caller with SCRIBBLE. */
static __attribute__((noinline)) void scribble(int depth)
{
	unsigned char buf[32 * 1024];

	memset(buf, SCRIBBLE, sizeof(buf));
	/* The bytes are never read here: keep the compiler from dropping them. */
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	if (depth > 0)
		scribble(depth - 1);
}

/*
 * SCRIBBLE bytes in the MiB of stack below this frame: memory no frame of
 * this process has used yet, which must not hold what another process
 * left there (a fork copies no dead stack; a reused memory is cleared).
 */
static __attribute__((noinline)) long scribbled_below(void)
{
	volatile unsigned char here = 0;
	volatile unsigned char *p = &here;
	long n = 0;

	/* An address the compiler cannot tie to `here`, below which it must read. */
	__asm__("" : "+r"(p));
	for (long i = 4096; i < (1L << 20); i++)
		n += p[-i] == SCRIBBLE;
	return n;
}

/*
 * Four children that scribble on their unused stack, then four that look
 * there: the host reuses the memories of gone children for new ones.
 */
static int cmd_deadstack(void)
{
	printf("deadstack: stale");
	for (int round = 0; round < 8; round++) {
		int look = round >= 4;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return printf(" fork: %s\n", strerror(errno)), 1;
		if (pid == 0) {
			if (!look)
				scribble(20);
			_exit(look ? scribbled_below() != 0 : 0);
		}
		if (look)
			printf(" %d", wait_status(pid));
		else
			wait_status(pid);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "shared"))
		return cmd_shared();
	if (argc >= 2 && !strcmp(argv[1], "inherit"))
		return cmd_inherit();
	if (argc >= 2 && !strcmp(argv[1], "statuses"))
		return cmd_statuses();
	if (argc >= 2 && !strcmp(argv[1], "atfork"))
		return cmd_atfork();
	if (argc >= 2 && !strcmp(argv[1], "threads"))
		return cmd_threads();
	if (argc >= 2 && !strcmp(argv[1], "system"))
		return cmd_system();
	if (argc >= 3 && !strcmp(argv[1], "bomb"))
		return cmd_bomb(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "fork"))
		return cmd_fork();
	if (argc >= 3 && !strcmp(argv[1], "forkmany"))
		return cmd_forkmany(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return cmd_copy();
	if (argc >= 2 && !strcmp(argv[1], "nested"))
		return cmd_nested();
	if (argc >= 3 && !strcmp(argv[1], "many"))
		return cmd_many(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "pipe"))
		return cmd_pipe();
	if (argc >= 2 && !strcmp(argv[1], "deadstack"))
		return cmd_deadstack();
	fprintf(stderr, "usage: fork copy|nested|many N|pipe|fork|forkmany N|inherit|statuses|"
			"atfork|threads|system|bomb N|shared|deadstack\n");
	return 2;
}
