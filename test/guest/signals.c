// SPDX-License-Identifier: GPL-2.0
/*
 * Signal handlers with musl: delivery on the way out of a system call,
 * siginfo, the blocked mask inside a handler and after sigreturn, pending
 * signals released by sigprocmask, nested handlers, EINTR and SA_RESTART
 * for a blocking read, SIGCHLD from a vfork child, handlers that exit or
 * trap, and a signal sent while user code runs, handled before the next
 * system call rather than failing it with EINTR. Run as /init by test/e2e/signals.test.ts; each line is checked
 * there.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t usr1_count, usr2_count, alarm_count;
static volatile int usr1_blocked_inside, usr2_nested_in_usr1;
static volatile int info_signo, info_code, info_value, info_pid;
static volatile int chld_pid, chld_status, chld_code;
static volatile sig_atomic_t in_usr1;

static int blocked(int sig)
{
	sigset_t now;

	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, sig);
}

static void on_usr1(int sig)
{
	in_usr1 = 1;
	usr1_count++;
	usr1_blocked_inside = blocked(SIGUSR1);
	if (usr1_count == 2)
		raise(SIGUSR2); /* delivered inside this handler */
	in_usr1 = 0;
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	usr2_count++;
	usr2_nested_in_usr1 = in_usr1;
	info_signo = si->si_signo;
	info_code = si->si_code;
	info_value = si->si_value.sival_int;
	info_pid = si->si_pid;
}

static void on_alarm(int sig)
{
	alarm_count++;
}

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	chld_pid = si->si_pid;
	chld_status = si->si_status;
	chld_code = si->si_code;
}

static void install(int sig, void (*plain)(int), void (*info)(int, siginfo_t *, void *),
		    int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	if (info) {
		sa.sa_sigaction = info;
		flags |= SA_SIGINFO;
	} else {
		sa.sa_handler = plain;
	}
	sa.sa_flags = flags;
	if (sigaction(sig, &sa, NULL))
		perror("sigaction");
}

static void arm_timer_ms(int ms)
{
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* A read from a pipe that a vfork child fills only after 300 ms. */
static void blocking_read(const char *name, int flags)
{
	int fds[2];
	char c = 0;
	ssize_t n;
	int err;
	pid_t pid;

	install(SIGALRM, on_alarm, NULL, flags);
	alarm_count = 0;
	if (pipe(fds))
		perror("pipe");
	pid = vfork();
	if (pid == 0) {
		char *argv[] = { "/init", "late-writer", NULL };

		dup2(fds[1], 1);
		execve("/init", argv, environ);
		_exit(127);
	}
	close(fds[1]);
	arm_timer_ms(50);
	n = read(fds[0], &c, 1);
	err = errno;
	printf("%s: read %d errno %s alarms %d byte %c\n", name, (int)n,
	       n < 0 ? strerror(err) : "-", alarm_count, n == 1 ? c : '-');
	waitpid(pid, NULL, 0);
	close(fds[0]);
}

static int run_child(const char *what)
{
	char *argv[] = { "/init", (char *)what, NULL };
	int status = -1;
	pid_t pid;

	if (posix_spawn(&pid, "/init", NULL, NULL, argv, environ))
		return -1;
	waitpid(pid, &status, 0);
	return status;
}

static void trap_handler(int sig)
{
	__builtin_trap();
}

static void exit_handler(int sig)
{
	_exit(40 + sig);
}

static volatile int sent;

/* Signal the main thread while it runs user code, then let it go on. */
static void *signal_main(void *arg)
{
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	sent = 1;
	return NULL;
}

/*
 * On a CPU, a signal that comes while user code runs is handled at once,
 * and the next system call runs in full: a nanosleep() after it sleeps
 * rather than failing with EINTR (no SA_RESTART here).
 */
static void signal_before_call(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	pthread_t self = pthread_self(), t;
	int before, r;

	install(SIGUSR1, on_usr1, NULL, 0);
	before = usr1_count;
	if (pthread_create(&t, NULL, signal_main, &self)) {
		printf("before-call: pthread_create failed\n");
		return;
	}
	while (!sent)
		;
	r = nanosleep(&ts, NULL);
	printf("before-call: nanosleep %d errno %d handled %d\n", r, r ? errno : 0,
	       usr1_count - before);
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	sigset_t set, pending;
	union sigval v = { .sival_int = 42 };
	int status, r;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "late-writer") == 0) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		write(1, "x", 1);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "trap-in-handler") == 0) {
		signal(SIGUSR1, trap_handler);
		raise(SIGUSR1);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "exit-in-handler") == 0) {
		signal(SIGTERM, exit_handler);
		kill(getpid(), SIGTERM);
		return 0;
	}

	install(SIGUSR1, on_usr1, NULL, 0);
	install(SIGUSR2, NULL, on_usr2, 0);

	kill(getpid(), SIGUSR1);
	printf("kill: usr1 %d blocked-inside %d blocked-after %d\n", usr1_count,
	       usr1_blocked_inside, blocked(SIGUSR1));

	/* A second SIGUSR1 raises SIGUSR2 from inside its handler. */
	raise(SIGUSR1);
	printf("nested: usr1 %d usr2 %d in-usr1 %d code-tkill %d\n", usr1_count, usr2_count,
	       usr2_nested_in_usr1, info_code == SI_TKILL);

	sigqueue(getpid(), SIGUSR2, v);
	printf("siginfo: signo %d usr2 %d queue %d value %d pid-ok %d\n", info_signo,
	       usr2_count, info_code == SI_QUEUE, info_value, info_pid == getpid());

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	sigpending(&pending);
	printf("blocked: usr1 %d pending %d\n", usr1_count, sigismember(&pending, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked: usr1 %d\n", usr1_count);

	install(SIGALRM, on_alarm, NULL, 0);
	arm_timer_ms(50);
	r = pause();
	printf("pause: %d errno %s alarms %d\n", r, strerror(errno), alarm_count);

	blocking_read("no-restart", 0);
	blocking_read("restart", SA_RESTART);

	install(SIGCHLD, NULL, on_chld, 0);
	pid = vfork();
	if (pid == 0)
		_exit(3);
	r = waitpid(pid, &status, 0);
	printf("sigchld: pid-ok %d status %d exited %d wait-ok %d\n", chld_pid == pid, chld_status,
	       chld_code == CLD_EXITED, r == pid && WEXITSTATUS(status) == 3);
	signal(SIGCHLD, SIG_DFL);

	status = run_child("trap-in-handler");
	printf("trap-in-handler: signaled %d sig %d\n", WIFSIGNALED(status), WTERMSIG(status));
	status = run_child("exit-in-handler");
	printf("exit-in-handler: exited %d status %d\n", WIFEXITED(status), WEXITSTATUS(status));

	signal_before_call();

	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
