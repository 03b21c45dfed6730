// SPDX-License-Identifier: GPL-2.0
/*
 * setjmp/longjmp and sigsetjmp/siglongjmp. Each subcommand prints one line
 * of what it found, for test/e2e/setjmp.test.ts:
 *
 *   nested    jumps from deep recursion, through a function with setjmp
 *             calls of its own, with value 0, and many in a row
 *   signal    siglongjmp out of handlers: for raise(), out of a busy loop
 *             (preempted) and out of a blocking read; the mask afterwards
 *   fork      setjmp in a function that then forks: child and parent each
 *             jump back to it in their own copy
 *   vfork     setjmp in a function that then vforks, a jump afterwards
 *   threads   4 threads jumping at once, each to its own buffer
 *   stale     longjmp to a function that has returned: SIGSEGV
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- nested ------------------------------------------------------- */

static jmp_buf outer_env, inner_env;

static __attribute__((noinline)) int dive(int depth, jmp_buf env, int val)
{
	volatile char pad[64];

	pad[0] = (char)depth;
	if (depth == 0)
		longjmp(env, val);
	return dive(depth - 1, env, val) + pad[0];
}

/* Has setjmp calls of its own, and lets a jump meant for its caller pass. */
static __attribute__((noinline)) int middle(int to_outer)
{
	int r = setjmp(inner_env);

	if (r)
		return 100 + r;
	dive(10, to_outer ? outer_env : inner_env, 2);
	return -1;
}

/* Where a new frame lands: the same before and after jumps that restored the stack. */
static __attribute__((noinline)) uintptr_t stack_here(void)
{
	volatile char c = 0;

	return (uintptr_t)&c + c;
}

static int cmd_nested(void)
{
	volatile int kept = 0;
	int deep, zero, inner, outer, many = 0;
	uintptr_t sp0 = stack_here();
	int r;

	r = setjmp(outer_env);
	if (r == 0) {
		kept = 42;
		dive(40, outer_env, 7);
	}
	deep = r;

	r = setjmp(outer_env);
	if (r == 0)
		longjmp(outer_env, 0);
	zero = r;

	inner = middle(0);

	r = setjmp(outer_env);
	if (r == 0)
		middle(1);
	outer = r;

	for (int i = 0; i < 10000; i++) {
		r = setjmp(outer_env);
		if (r == 0)
			dive(3, outer_env, i + 1);
		if (r == i + 1)
			many++;
	}
	printf("nested: deep %d zero %d inner %d outer %d volatile %d many %d stack %s\n",
	       deep, zero, inner, outer, kept, many,
	       stack_here() == sp0 ? "same" : "moved");
	return 0;
}

/* --- signal ------------------------------------------------------- */

static sigjmp_buf sig_env;
static volatile sig_atomic_t spins;

static void jump_out(int sig)
{
	siglongjmp(sig_env, sig);
}

/*
 * A loop with no calls, preempted (its poll enters the kernel, and the
 * handler runs there). In a function of its own: a jump cannot land in
 * the function that runs such a loop itself (docs/setjmp.md).
 */
/* Runs whole, system call included, even after SIGUSR1's handler jumped. */
static volatile sig_atomic_t usr2_done;

static void note_usr2(int sig)
{
	usr2_done = getpid() > 0 ? 1 : -1;
}

static __attribute__((noinline)) void spin(void)
{
	for (;;)
		spins++;
}

static int blocked(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static int cmd_signal(void)
{
	struct sigaction sa = { .sa_handler = jump_out };
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	struct sigaction sa2 = { .sa_handler = note_usr2 };
	int jumps = 0, restored, kept_blocked, busy, readjump, restartjump, second;
	sigset_t both;
	int fds[2];
	char c;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	/* raise() three times: each time back at sigsetjmp, SIGUSR1 unblocked. */
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(sig_env, 1) == SIGUSR1) {
			jumps++;
			continue;
		}
		raise(SIGUSR1);
		printf("signal: raise returned\n");
	}
	restored = !blocked(SIGUSR1);

	/* Without the mask saved, SIGUSR1 stays blocked as in the handler. */
	if (sigsetjmp(sig_env, 0) == 0)
		raise(SIGUSR1);
	kept_blocked = blocked(SIGUSR1);
	{
		sigset_t s;

		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
	}

	/* A busy loop, preempted by SIGALRM's delivery, is left for good. */
	busy = 0;
	if (sigsetjmp(sig_env, 1) == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		spin();
	} else {
		busy = spins > 0;
	}

	/* So is a read that would block for ever. */
	readjump = 0;
	if (pipe(fds))
		return printf("signal: pipe: %s\n", strerror(errno)), 1;
	if (sigsetjmp(sig_env, 1) == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		read(fds[0], &c, 1);
		printf("signal: read returned\n");
	} else {
		readjump = 1;
	}

	/*
	 * Also with SA_RESTART (what signal() sets; BusyBox nc -w): the jump
	 * leaves the read, which must not be made again first.
	 */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	restartjump = 0;
	if (sigsetjmp(sig_env, 1) == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		read(fds[0], &c, 1);
		printf("signal: restarted read returned\n");
	} else {
		restartjump = 1;
	}
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);

	/*
	 * SIGUSR1 and SIGUSR2 both arrive on the way out of one call: the
	 * kernel runs SIGUSR1's handler first, which jumps, then SIGUSR2's,
	 * which must run to its end before the jump goes on.
	 */
	sigemptyset(&sa2.sa_mask);
	sigaction(SIGUSR2, &sa2, NULL);
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	sigprocmask(SIG_BLOCK, &both, NULL);
	raise(SIGUSR1);
	raise(SIGUSR2);
	second = 0;
	if (sigsetjmp(sig_env, 1) == 0) {
		sigprocmask(SIG_UNBLOCK, &both, NULL);
		printf("signal: unblock returned\n");
	} else {
		second = usr2_done;
	}
	sigprocmask(SIG_UNBLOCK, &both, NULL);

	printf("signal: jumps %d restored %d kept-blocked %d busy %d read %d restart-read %d alrm-blocked %d second %d\n",
	       jumps, restored, kept_blocked, busy, readjump, restartjump, blocked(SIGALRM), second);
	return 0;
}

/* --- fork, vfork -------------------------------------------------- */

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static __attribute__((noinline)) int fork_after_setjmp(void)
{
	static jmp_buf env;
	volatile pid_t child = -1;
	int r = setjmp(env);

	if (r == 0) {
		child = fork();
		if (child < 0)
			return printf("fork: %s\n", strerror(errno)), 1;
		longjmp(env, child == 0 ? 5 : 6);
	}
	if (child == 0)
		_exit(r);
	printf("fork: child %d parent %d\n", wait_status(child), r);
	return 0;
}

static __attribute__((noinline)) int vfork_after_setjmp(void)
{
	static jmp_buf env;
	volatile int status = -1;
	int r = setjmp(env);

	if (r == 0) {
		pid_t pid = vfork();

		if (pid == 0)
			_exit(9);
		status = wait_status(pid);
		longjmp(env, 4);
	}
	printf("vfork: status %d jumped %d\n", status, r);
	return 0;
}

/* --- threads ------------------------------------------------------ */

static void *jumper(void *arg)
{
	jmp_buf env;
	int hits = 0;

	for (int i = 1; i <= 1000; i++) {
		int r = setjmp(env);

		if (r == 0)
			dive(5, env, i + (int)(intptr_t)arg * 10000);
		else if (r == i + (int)(intptr_t)arg * 10000)
			hits++;
	}
	return (void *)(intptr_t)hits;
}

static int cmd_threads(void)
{
	pthread_t t[4];
	int total = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, jumper, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++) {
		void *hits;

		pthread_join(t[i], &hits);
		total += (int)(intptr_t)hits;
	}
	printf("threads: jumps %d\n", total);
	return 0;
}

/* --- stale -------------------------------------------------------- */

static jmp_buf stale_env;

static __attribute__((noinline)) void set_and_return(void)
{
	if (setjmp(stale_env))
		printf("stale: landed in a frame that is gone\n");
}

static int cmd_stale(void)
{
	set_and_return();
	fflush(stdout);
	longjmp(stale_env, 1);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(what, "nested"))
		return cmd_nested();
	if (!strcmp(what, "signal"))
		return cmd_signal();
	if (!strcmp(what, "fork"))
		return fork_after_setjmp();
	if (!strcmp(what, "vfork"))
		return vfork_after_setjmp();
	if (!strcmp(what, "threads"))
		return cmd_threads();
	if (!strcmp(what, "stale"))
		return cmd_stale();
	fprintf(stderr, "usage: setjmp nested|signal|fork|vfork|threads|stale\n");
	return 2;
}
