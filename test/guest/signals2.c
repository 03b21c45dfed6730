// SPDX-License-Identifier: GPL-2.0
/*
 * Signals between processes, with musl: kill(pid, 0), wait statuses for
 * exits, kills, stops and continues, SIGCHLD's siginfo and SA_NOCLDSTOP,
 * sigsuspend, the sigaction flags (SA_RESETHAND, SA_NODEFER, sa_mask, the
 * old action), default actions, SIG_IGN, and what sigprocmask cannot block.
 * Run as /init by test/e2e/signals.test.ts, which decodes the raw numbers
 * printed here itself.
 *
 * As init (pid 1) it only runs itself again as "main" and reports how that
 * ended: init is protected from signals it has no handler for, so the tests
 * run in an ordinary process. Their children are this same program again
 * with other arguments (there is no fork: a vfork child may only exec).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int blocked(int sig)
{
	sigset_t now;

	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, sig);
}

static int pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void install(int sig, void (*plain)(int), void (*info)(int, siginfo_t *, void *),
		    int flags, const sigset_t *mask)
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
	if (mask)
		sa.sa_mask = *mask;
	if (sigaction(sig, &sa, NULL))
		perror("sigaction");
}

/*
 * Run this program as `/init what arg`; own_group puts the child in a
 * process group of its own (see wait_stop()).
 */
static pid_t spawn(const char *what, const char *arg, int own_group)
{
	char *argv[] = { "/init", (char *)what, (char *)arg, NULL };
	posix_spawnattr_t attr;
	pid_t pid;
	int rc;

	posix_spawnattr_init(&attr);
	if (own_group) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
	}
	rc = posix_spawn(&pid, "/init", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		printf("posix_spawn %s: %s\n", what, strerror(rc));
		return -1;
	}
	return pid;
}

/* The wait status of a child run as `/init what arg` to its end. */
static int run(const char *what, const char *arg)
{
	pid_t pid = spawn(what, arg, 0);
	int status = -1;

	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* waitpid's status, or -1000 - errno if it failed. */
static int wait_status(pid_t pid, int options)
{
	int status = 0;
	pid_t r = waitpid(pid, &status, options);

	if (r < 0)
		return -1000 - errno;
	return r == pid ? status : -999;
}

/* What waitpid(pid, WNOHANG) returns: 0 if it has nothing to report. */
static int wait_nohang(pid_t pid)
{
	int status = 0;

	return waitpid(pid, &status, WNOHANG);
}

/*
 * How long to wait for something that should happen (a state, a SIGCHLD):
 * the waits end as soon as it does, so this only bounds a hang, and is
 * generous because a busy host makes everything in the guest slower.
 */
#define PATIENCE_MS 30000

/* The state letter in /proc/PID/stat ('S' sleeping, 'T' stopped, ...). */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* Polls PID's state for up to ms until it is want; returns the last one seen. */
static char wait_state(pid_t pid, char want, int ms)
{
	long end = now_ms() + ms;
	char s;

	while ((s = proc_state(pid)) != want && now_ms() < end)
		sleep_ms(5);
	return s;
}

/*
 * A child asleep in a system call (nanosleep() or pause()), in a process
 * group of its own: it has said it is ready on the pipe, and /proc shows it
 * sleeping (or PATIENCE_MS have passed) when this returns. The group matters for
 * SIGTSTP: a process group whose members' parents are all init or inside
 * it is orphaned, and the kernel discards SIGTSTP/SIGTTIN/SIGTTOU sent to
 * it instead of stopping it.
 */
static pid_t spawn_sleeper(const char *what)
{
	char fd_text[16];
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	snprintf(fd_text, sizeof(fd_text), "%d", fds[1]);
	pid = spawn(what, fd_text, 1);
	close(fds[1]);
	if (pid > 0 && read(fds[0], &c, 1) != 1)
		printf("%s: no ready byte\n", what);
	close(fds[0]);
	wait_state(pid, 'S', PATIENCE_MS);
	return pid;
}

/* ---- children: `/init what arg` ---- */

static int child_sleeper(int ready_fd)
{
	struct timespec ts = { 1000, 0 };
	int r;

	write(ready_fd, "r", 1);
	close(ready_fd);
	/* Stops and continues must restart the call, not end it. */
	r = nanosleep(&ts, NULL);
	_exit(r ? 50 + errno : 49);
}

/* Everything blocked that can be: SIGKILL and SIGSTOP still act. */
static int child_block_all(int ready_fd)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	write(ready_fd, "r", 1);
	close(ready_fd);
	for (;;)
		pause();
}

static volatile sig_atomic_t reset_count;

static void on_reset(int sig)
{
	reset_count++;
}

/* SA_RESETHAND: the first SIGUSR1 runs the handler, the second kills. */
static int child_resethand(void)
{
	struct sigaction now;

	install(SIGUSR1, on_reset, NULL, SA_RESETHAND, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &now);
	printf("resethand-child: handled %d handler-after %lu\n", (int)reset_count,
	       (unsigned long)now.sa_handler);
	fflush(stdout);
	raise(SIGUSR1);
	_exit(100);
}

/*
 * A pending signal is discarded when its action becomes SIG_IGN. One that
 * is ignored and blocked is still queued by Linux ("blocked signals are
 * never ignored", kernel/signal.c: the action may change before it is
 * unblocked) and then discarded when it is unblocked.
 */
static int child_ignore_pending(void)
{
	sigset_t usr1;
	int a, b, c, d;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	kill(getpid(), SIGUSR1);
	a = pending(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	b = pending(SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);

	sigprocmask(SIG_BLOCK, &usr1, NULL);
	kill(getpid(), SIGUSR1);
	c = pending(SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	d = pending(SIGUSR1);
	printf("ignore-pending: blocked-dfl %d after-ign %d ign-then-blocked %d after-unblock %d\n",
	       a, b, c, d);
	fflush(stdout);
	/* SIGUSR1 would kill: still here if the unblock dropped it. */
	_exit(102);
}

static int child(const char *what, const char *arg)
{
	int n = arg ? atoi(arg) : 0;

	if (strcmp(what, "exit") == 0)
		_exit(n);
	if (strcmp(what, "wait") == 0)
		for (;;)
			pause();
	if (strcmp(what, "raise") == 0) {
		kill(getpid(), n);
		_exit(100);
	}
	if (strcmp(what, "ignore-term") == 0) {
		signal(SIGTERM, SIG_IGN);
		kill(getpid(), SIGTERM);
		_exit(101);
	}
	if (strcmp(what, "sleeper") == 0)
		return child_sleeper(n);
	if (strcmp(what, "block-all") == 0)
		return child_block_all(n);
	if (strcmp(what, "resethand") == 0)
		return child_resethand();
	if (strcmp(what, "ignore-pending") == 0)
		return child_ignore_pending();
	printf("unknown child %s\n", what);
	return 127;
}

/* ---- the tests, in "main" ---- */

static void kill_zero(void)
{
	int live, live_errno, zombie, zombie_errno, reaped, reaped_errno;
	siginfo_t si = { 0 };
	pid_t pid;

	pid = spawn("wait", NULL, 0);
	errno = 0;
	live = kill(pid, 0);
	live_errno = errno;
	kill(pid, SIGKILL);
	/* Exited but not reaped: WNOWAIT leaves it a zombie. */
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	errno = 0;
	zombie = kill(pid, 0);
	zombie_errno = errno;
	waitpid(pid, NULL, 0);
	errno = 0;
	reaped = kill(pid, 0);
	reaped_errno = errno;
	printf("kill0: live %d errno %d zombie %d errno %d waitid-code %d reaped %d errno %d\n",
	       live, live_errno, zombie, zombie_errno, si.si_code, reaped, reaped_errno);
}

static void wait_exits_and_kills(void)
{
	static const int sigs[] = { SIGTERM, SIGKILL, SIGQUIT, SIGSEGV };
	int st[4];

	printf("wait-exit: code0 %d code7 %d code255 %d\n", run("exit", "0"), run("exit", "7"),
	       run("exit", "255"));
	for (int i = 0; i < 4; i++) {
		pid_t pid = spawn("wait", NULL, 0);

		kill(pid, sigs[i]);
		st[i] = wait_status(pid, 0);
	}
	printf("wait-killed: term %d kill %d quit %d segv %d\n", st[0], st[1], st[2], st[3]);
}

/* Stop and continue a child sleeping in nanosleep(), by SIGSTOP and SIGTSTP. */
static void wait_stop(void)
{
	int stop, nohang, cont, tstp, cont2, killed;
	char s0, s1, s2;
	pid_t pid;

	pid = spawn_sleeper("sleeper");
	s0 = wait_state(pid, 'S', PATIENCE_MS);
	kill(pid, SIGSTOP);
	stop = wait_status(pid, WUNTRACED);
	s1 = proc_state(pid);
	/* Without WUNTRACED a stopped child is not reported. */
	nohang = wait_nohang(pid);
	kill(pid, SIGCONT);
	cont = wait_status(pid, WCONTINUED);
	kill(pid, SIGTSTP);
	tstp = wait_status(pid, WUNTRACED);
	kill(pid, SIGCONT);
	cont2 = wait_status(pid, WCONTINUED);
	s2 = wait_state(pid, 'S', PATIENCE_MS);
	/* Still in its nanosleep(): it would have exited 49 or 50 + errno. */
	kill(pid, SIGKILL);
	killed = wait_status(pid, 0);
	printf("wait-stop: stop %d nohang %d cont %d tstp %d cont2 %d kill %d\n", stop, nohang,
	       cont, tstp, cont2, killed);
	printf("stop-states: before %c stopped %c after %c\n", s0, s1, s2);
}

static volatile sig_atomic_t chld_count;
static volatile int chld_code, chld_pid, chld_status, chld_signo;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	chld_count++;
	chld_signo = si->si_signo;
	chld_code = si->si_code;
	chld_pid = si->si_pid;
	chld_status = si->si_status;
}

/* Waits up to ms for a SIGCHLD (nanosleep ends early when one comes). */
static void wait_chld(int ms)
{
	long end = now_ms() + ms;

	while (!chld_count && now_ms() < end)
		sleep_ms(5);
}

static void report_chld(const char *name, pid_t child, int ms)
{
	wait_chld(ms);
	printf("%s: count %d signo %d code %d pid %d child %d status %d\n", name,
	       (int)chld_count, chld_signo, chld_code, chld_pid, (int)child, chld_status);
	chld_count = 0;
	chld_signo = chld_code = chld_pid = chld_status = 0;
}

static void sigchld(void)
{
	pid_t pid;

	install(SIGCHLD, NULL, on_chld, SA_RESTART, NULL);

	pid = spawn("exit", "5", 0);
	wait_status(pid, 0);
	report_chld("chld-exit", pid, PATIENCE_MS);

	pid = spawn("wait", NULL, 0);
	kill(pid, SIGKILL);
	wait_status(pid, 0);
	report_chld("chld-killed", pid, PATIENCE_MS);

	pid = spawn_sleeper("sleeper");
	kill(pid, SIGSTOP);
	wait_status(pid, WUNTRACED);
	report_chld("chld-stopped", pid, PATIENCE_MS);
	kill(pid, SIGCONT);
	wait_status(pid, WCONTINUED);
	/* The child reports its continue itself, once it runs again. */
	report_chld("chld-continued", pid, PATIENCE_MS);
	kill(pid, SIGKILL);
	wait_status(pid, 0);
	report_chld("chld-killed2", pid, PATIENCE_MS);

	install(SIGCHLD, NULL, on_chld, SA_RESTART | SA_NOCLDSTOP, NULL);
	pid = spawn_sleeper("sleeper");
	kill(pid, SIGSTOP);
	wait_status(pid, WUNTRACED);
	report_chld("nocldstop-stopped", pid, 200);
	kill(pid, SIGCONT);
	wait_status(pid, WCONTINUED);
	report_chld("nocldstop-continued", pid, 200);
	kill(pid, SIGKILL);
	wait_status(pid, 0);
	report_chld("nocldstop-killed", pid, PATIENCE_MS);

	signal(SIGCHLD, SIG_DFL);
}

static volatile sig_atomic_t alarm_count, usr1_count, usr2_count;
static volatile int alarm_saw_usr2_blocked, alarm_saw_alrm_blocked;

static void on_alarm(int sig)
{
	alarm_count++;
	alarm_saw_usr2_blocked = blocked(SIGUSR2);
	alarm_saw_alrm_blocked = blocked(SIGALRM);
}

static void on_usr1_count(int sig)
{
	usr1_count++;
}

static void on_usr2_count(int sig)
{
	usr2_count++;
}

static void test_sigsuspend(void)
{
	struct itimerval it = { .it_value = { 0, 50000 } };
	sigset_t alrm, usr1, old, wait_mask;
	int r, err;
	long t0, waited;

	/* SIGALRM blocked; sigsuspend lets it in (and SIGUSR2 out) while it waits. */
	install(SIGALRM, on_alarm, NULL, 0, NULL);
	install(SIGUSR2, on_usr2_count, NULL, 0, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	sigprocmask(SIG_BLOCK, NULL, &wait_mask);
	sigdelset(&wait_mask, SIGALRM);
	sigaddset(&wait_mask, SIGUSR2);
	t0 = now_ms();
	setitimer(ITIMER_REAL, &it, NULL);
	r = sigsuspend(&wait_mask);
	err = errno;
	waited = now_ms() - t0;
	printf("sigsuspend: r %d errno %d alarms %d waited-ms %ld usr2-blocked-inside %d "
	       "alrm-blocked-inside %d alrm-blocked-after %d usr2-blocked-after %d\n",
	       r, err, (int)alarm_count, waited, alarm_saw_usr2_blocked, alarm_saw_alrm_blocked,
	       blocked(SIGALRM), blocked(SIGUSR2));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* A signal already pending when sigsuspend unblocks it ends the wait at once. */
	install(SIGUSR1, on_usr1_count, NULL, 0, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	raise(SIGUSR1);
	printf("sigsuspend-pending: before %d", (int)usr1_count);
	sigemptyset(&wait_mask);
	r = sigsuspend(&wait_mask);
	err = errno;
	printf(" r %d errno %d after %d usr1-blocked-after %d\n", r, err, (int)usr1_count,
	       blocked(SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

static volatile int depth, max_depth, calls, blocked_inside;

static void on_usr1_reenter(int sig)
{
	calls++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	blocked_inside = blocked(SIGUSR1);
	if (calls == 1)
		raise(SIGUSR1);
	depth--;
}

static volatile int usr2_blocked_in_usr1, usr2_seen_in_usr1;

static void on_usr1_masking(int sig)
{
	usr2_blocked_in_usr1 = blocked(SIGUSR2);
	raise(SIGUSR2);
	usr2_seen_in_usr1 = usr2_count;
}

static void on_other(int sig)
{
}

static void flags(void)
{
	struct sigaction sa, old, now;
	sigset_t mask;
	int r, err;

	/* Without SA_NODEFER the second SIGUSR1 waits for the handler to return. */
	install(SIGUSR1, on_usr1_reenter, NULL, 0, NULL);
	calls = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("defer: blocked-inside %d max-depth %d calls %d\n", blocked_inside, max_depth,
	       calls);
	install(SIGUSR1, on_usr1_reenter, NULL, SA_NODEFER, NULL);
	calls = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("nodefer: blocked-inside %d max-depth %d calls %d\n", blocked_inside, max_depth,
	       calls);

	/* sa_mask: SIGUSR2 waits until the SIGUSR1 handler is done. */
	usr2_count = 0;
	install(SIGUSR2, on_usr2_count, NULL, 0, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	install(SIGUSR1, on_usr1_masking, NULL, 0, &mask);
	raise(SIGUSR1);
	printf("sa-mask: usr2-blocked-inside %d usr2-inside %d usr2-after %d "
	       "usr2-blocked-after %d\n",
	       usr2_blocked_in_usr1, usr2_seen_in_usr1, (int)usr2_count, blocked(SIGUSR2));
	signal(SIGUSR2, SIG_DFL);

	/* The old action comes back whole. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1_count;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_other;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	memset(&old, 0, sizeof(old));
	r = sigaction(SIGUSR1, &sa, &old);
	sigaction(SIGUSR1, NULL, &now);
	printf("old-action: r %d old %lu first %lu flags %lu mask-int %d mask-term %d "
	       "now %lu second %lu\n",
	       r, (unsigned long)old.sa_handler, (unsigned long)on_usr1_count,
	       (unsigned long)old.sa_flags, sigismember(&old.sa_mask, SIGINT),
	       sigismember(&old.sa_mask, SIGTERM), (unsigned long)now.sa_handler,
	       (unsigned long)on_other);
	signal(SIGUSR1, SIG_IGN);
	sigaction(SIGUSR1, NULL, &now);
	errno = 0;
	r = sigaction(SIGKILL, &sa, NULL);
	err = errno;
	printf("ign-action: handler %lu sigkill-r %d errno %d\n", (unsigned long)now.sa_handler,
	       r, err);
	signal(SIGUSR1, SIG_DFL);

	printf("resethand: status %d\n", run("resethand", NULL));
}

static void defaults(void)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "chld", SIGCHLD }, { "winch", SIGWINCH }, { "urg", SIGURG }, { "term", SIGTERM },
		{ "int", SIGINT },   { "hup", SIGHUP },	    { "usr1", SIGUSR1 },
	};
	char n[16];

	printf("default:");
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		snprintf(n, sizeof(n), "%d", sigs[i].sig);
		printf(" %s %d", sigs[i].name, run("raise", n));
	}
	printf("\n");

	/* Ignored signals stay ignored across exec (musl's posix_spawn keeps SIG_IGN). */
	signal(SIGTERM, SIG_IGN);
	snprintf(n, sizeof(n), "%d", SIGTERM);
	printf("sig-ign: self %d inherited %d\n", run("ignore-term", NULL), run("raise", n));
	signal(SIGTERM, SIG_DFL);

	printf("ignore-pending-status: status %d\n", run("ignore-pending", NULL));
}

static void masks(void)
{
	sigset_t set, old, now;
	int r, stop, cont, term_alive, killed;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGKILL);
	sigaddset(&set, SIGSTOP);
	sigaddset(&set, SIGUSR2);
	r = sigprocmask(SIG_BLOCK, &set, &old);
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("unblockable: r %d kill %d stop %d usr2 %d\n", r, sigismember(&now, SIGKILL),
	       sigismember(&now, SIGSTOP), sigismember(&now, SIGUSR2));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* A child blocking everything: SIGTERM waits, SIGSTOP and SIGKILL do not. */
	pid = spawn_sleeper("block-all");
	kill(pid, SIGTERM);
	sleep_ms(50);
	term_alive = wait_nohang(pid);
	kill(pid, SIGSTOP);
	stop = wait_status(pid, WUNTRACED);
	kill(pid, SIGCONT);
	cont = wait_status(pid, WCONTINUED);
	kill(pid, SIGKILL);
	killed = wait_status(pid, 0);
	printf("block-all: term-nohang %d stop %d cont %d kill %d\n", term_alive, stop, cont,
	       killed);

	/* sigpending */
	usr2_count = 0;
	install(SIGUSR2, on_usr2_count, NULL, 0, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR2);
	printf("sigpending: ran-blocked %d usr2 %d usr1 %d", (int)usr2_count, pending(SIGUSR2),
	       pending(SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf(" ran-after %d usr2-after %d\n", (int)usr2_count, pending(SIGUSR2));
	signal(SIGUSR2, SIG_DFL);
}

int main(int argc, char **argv)
{
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "main") != 0)
		return child(argv[1], argc > 2 ? argv[2] : NULL);
	if (argc == 1) {
		/* init: run the tests in an ordinary process. */
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", 0, NULL))
			perror("mount /proc");
		status = run("main", NULL);
		printf("main-status: status %d\n", status);
		fflush(stdout);
		reboot(RB_POWER_OFF);
		return 0;
	}

	kill_zero();
	wait_exits_and_kills();
	wait_stop();
	sigchld();
	test_sigsuspend();
	flags();
	defaults();
	masks();
	printf("main: done\n");
	return 0;
}
