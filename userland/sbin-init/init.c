// SPDX-License-Identifier: GPL-2.0
/*
 * /sbin/init: the interactive system.  /init (userland/init) hands over to
 * it when the host asked for no command.
 *
 * It mounts the usual filesystems, sets the hostname, greets the user, and
 * runs a login shell in its own session on the console tty, so that the
 * shell has a controlling terminal and job control.  When that shell exits
 * the machine powers off; when a signal kills it, a new one starts.
 * BusyBox's poweroff, halt and reboot signal init (SIGUSR2, SIGUSR1,
 * SIGTERM), which then stops every process and the machine.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define CONSOLE_TTY	"/dev/ttyW0"
#define SHELL		"/bin/sh"

/* More deaths than this within RESPAWN_WINDOW seconds: give up. */
#define RESPAWN_LIMIT	5
#define RESPAWN_WINDOW	10

extern char **environ;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("init: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void mount_basics(void)
{
	static const struct {
		const char *type, *dir;
		unsigned long flags;
		const char *data;
	} fs[] = {
		{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "devtmpfs", "/dev", MS_NOSUID, "mode=0755" },
		{ "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666" },
		{ "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777" },
		{ "mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777" },
		{ "tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755" },
	};
	size_t i;

	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		mkdir(fs[i].dir, 0755);
		if (mount(fs[i].type, fs[i].dir, fs[i].type, fs[i].flags, fs[i].data) &&
		    errno != EBUSY)
			say("cannot mount %s on %s: %s\n", fs[i].type, fs[i].dir,
			    strerror(errno));
	}
}

static void set_hostname(void)
{
	char name[65] = "wasmlinux";
	FILE *f = fopen("/etc/hostname", "r");

	if (f) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, " \t\r\n")] = 0;
		fclose(f);
	}
	if (!name[0])
		strcpy(name, "wasmlinux");
	if (sethostname(name, strlen(name)))
		say("cannot set the hostname: %s\n", strerror(errno));
}

static void motd(void)
{
	struct utsname u;
	struct sysinfo si;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long mem = 0;

	uname(&u);
	if (!sysinfo(&si))
		mem = (unsigned long long)si.totalram * si.mem_unit;
	printf("\nWelcome to wasmlinux: Linux %s on %s, %ld CPU%s, %llu MiB of memory.\n"
	       "Type 'help' for the shell's commands, 'ls /bin' for the programs.\n"
	       "'exit' or 'poweroff' stops the machine.\n\n",
	       u.release, u.machine, cpus, cpus == 1 ? "" : "s", mem >> 20);
	fflush(stdout);
}

/*
 * Start path in a session of its own, with no signal blocked and every
 * signal at its default action (init blocks and takes its own).
 */
static pid_t spawn_session(const char *path, char *const argv[],
			   const posix_spawn_file_actions_t *fa)
{
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid;
	int err;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	err = posix_spawn(&pid, path, fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (err) {
		say("cannot start %s: %s\n", path, strerror(err));
		return -1;
	}
	return pid;
}

/* The login shell, with the console as its controlling terminal. */
static pid_t start_shell(void)
{
	static char *argv[] = { "-sh", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	/* Opened after setsid(), so it becomes the controlling terminal. */
	posix_spawn_file_actions_addopen(&fa, 0, CONSOLE_TTY, O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	pid = spawn_session(SHELL, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/*
 * The web page's agent (userland/agent), when the host asked for it: it
 * serves requests from the page on /dev/host_stdin and /dev/host_stdout.
 */
static void start_agent(void)
{
	static char *argv[] = { "wasmlinux-agent", NULL };

	spawn_session("/sbin/wasmlinux-agent", argv, NULL);
}

/* Reap every child that has ended; returns the shell's status if it did. */
static int reap(pid_t shell, int *shell_status)
{
	int status, found = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == shell) {
			*shell_status = status;
			found = 1;
		}
	}
	return found;
}

/* Ask every process to stop, then make sure, then stop the machine. */
static void shutdown_machine(int cmd)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	sigset_t chld;
	int i, dummy;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	/* Up to a second for them to go. */
	for (i = 0; i < 10; i++) {
		reap(-1, &dummy);
		if (kill(-1, 0) && errno == ESRCH)
			break;
		sigtimedwait(&chld, NULL, &ts);
	}
	kill(-1, SIGKILL);
	reap(-1, &dummy);
	sync();
	reboot(cmd);
	say("reboot failed: %s\n", strerror(errno));
	_exit(1);
}

int main(void)
{
	time_t deaths[RESPAWN_LIMIT] = { 0 };
	sigset_t wanted;
	siginfo_t si;
	int status, next = 0;
	pid_t shell;

	if (getpid() != 1) {
		fputs("init: must run as process 1\n", stderr);
		return 1;
	}
	/* init takes its signals one at a time, from sigwaitinfo(). */
	sigemptyset(&wanted);
	sigaddset(&wanted, SIGCHLD);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGUSR1);
	sigaddset(&wanted, SIGUSR2);
	sigaddset(&wanted, SIGINT);
	sigaddset(&wanted, SIGHUP);
	sigprocmask(SIG_BLOCK, &wanted, NULL);

	mount_basics();
	set_hostname();
	setenv("HOME", "/root", 1);
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	setenv("SHELL", SHELL, 1);
	setenv("USER", "root", 1);
	setenv("LOGNAME", "root", 1);
	if (!getenv("TERM"))
		setenv("TERM", "linux", 1);
	chdir("/root");
	motd();
	if (getenv("WASMLINUX_AGENT"))
		start_agent();
	shell = start_shell();
	if (shell < 0)
		shutdown_machine(RB_POWER_OFF);

	for (;;) {
		if (sigwaitinfo(&wanted, &si) < 0)
			continue;
		switch (si.si_signo) {
		case SIGUSR1: /* halt */
		case SIGUSR2: /* poweroff */
			shutdown_machine(RB_POWER_OFF);
			break;
		case SIGTERM: /* reboot: the host ends the run all the same */
			shutdown_machine(RB_AUTOBOOT);
			break;
		case SIGCHLD:
			if (!reap(shell, &status))
				break;
			if (!WIFSIGNALED(status))
				shutdown_machine(RB_POWER_OFF);
			say("the shell was killed by signal %d (%s); starting a new one\n",
			    WTERMSIG(status), strsignal(WTERMSIG(status)));
			if (deaths[next] && time(NULL) - deaths[next] < RESPAWN_WINDOW) {
				say("the shell keeps dying; stopping\n");
				shutdown_machine(RB_POWER_OFF);
			}
			deaths[next] = time(NULL);
			next = (next + 1) % RESPAWN_LIMIT;
			shell = start_shell();
			if (shell < 0)
				shutdown_machine(RB_POWER_OFF);
			break;
		default: /* Ctrl-Alt-Del, hangup: nothing to do */
			break;
		}
	}
}
