// SPDX-License-Identifier: GPL-2.0
/*
 * Advisory locks across two 9P mounts of the same host directory: fcntl
 * F_SETLK/F_GETLK and flock() from this process on /mnt/a/f against a
 * child process on /mnt/b/f (and /mnt/r/f, a read-only mount of it). The
 * guest keeps a lock table per mount, so only the host's 9P server can make
 * the two mounts see each other's locks.
 *
 * Run as /bin/locks by test/e2e/ninep-locks.test.ts. The parent spawns
 * "/bin/locks child" and drives it one step at a time: a step letter down a
 * pipe (the child's fd 3), one byte back when the step is done (fd 4), so
 * parent and child never act at the same time. Every output line is one
 * write(), "label: ok" or "label: errno N" or "label: values...".
 */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	write(1, line, n);
}

/* "label: ok" for rc 0, else "label: errno N". */
static void result(const char *label, int rc)
{
	if (rc == 0)
		say("%s: ok", label);
	else
		say("%s: errno %d", label, errno);
}

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, F_SETLK, &fl);
}

/* F_GETLK for a write lock over [start, start+len): "label: type T start S len L pid P". */
static void getlk(const char *label, int fd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, F_GETLK, &fl)) {
		say("%s: errno %d", label, errno);
		return;
	}
	say("%s: type %d start %lld len %lld pid %d", label, fl.l_type, (long long)fl.l_start,
	    (long long)fl.l_len, (int)fl.l_pid);
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		say("open %s: errno %d", path, errno);
		_exit(1);
	}
	return fd;
}

/* The child: one step per letter read from fd 3, an ack byte to fd 4 after each. */
static int child(void)
{
	int fb = open_or_die("/mnt/b/f", O_RDWR);
	int fr = open_or_die("/mnt/r/f", O_RDONLY);
	char step, label[64];
	int probes = 0;

	while (read(3, &step, 1) == 1) {
		switch (step) {
		case '1': /* the parent holds a write lock on 0-99 */
			result("b wrlck 50-149 while a holds 0-99", setlk(fb, F_WRLCK, 50, 100));
			result("b rdlck 99-99 while a holds 0-99", setlk(fb, F_RDLCK, 99, 1));
			result("b wrlck 200-299 while a holds 0-99", setlk(fb, F_WRLCK, 200, 100));
			getlk("b getlk 0-eof", fb, 0, 0);
			getlk("b getlk 300-399", fb, 300, 100);
			result("r rdlck 0-9 while a holds 0-99", setlk(fr, F_RDLCK, 0, 10));
			break;
		case '2': /* the parent unlocked */
			result("b wrlck 50-149 after a unlocked", setlk(fb, F_WRLCK, 50, 100));
			result("b unlock all", setlk(fb, F_UNLCK, 0, 0));
			break;
		case '3': /* the parent holds a read lock on the whole file */
			result("b rdlck 0-eof while a reads", setlk(fb, F_RDLCK, 0, 0));
			result("r rdlck 0-eof while a reads", setlk(fr, F_RDLCK, 0, 0));
			result("b wrlck 0-eof while a reads", setlk(fb, F_WRLCK, 0, 0));
			break;
		case '4': /* drop the read locks */
			result("b unlock after reading", setlk(fb, F_UNLCK, 0, 0));
			result("r unlock after reading", setlk(fr, F_UNLCK, 0, 0));
			break;
		case 'w': /* probe: is the whole file free of the parent's locks? */
			snprintf(label, sizeof(label), "b wrlck 0-eof probe %d", ++probes);
			result(label, setlk(fb, F_WRLCK, 0, 0));
			setlk(fb, F_UNLCK, 0, 0);
			break;
		case '5': /* the parent holds flock(LOCK_EX) */
			result("b flock ex while a has flock ex", flock(fb, LOCK_EX | LOCK_NB));
			result("b flock sh while a has flock ex", flock(fb, LOCK_SH | LOCK_NB));
			result("b rdlck 0-0 while a has flock ex", setlk(fb, F_RDLCK, 0, 1));
			getlk("b getlk while a has flock ex", fb, 0, 0);
			setlk(fb, F_UNLCK, 0, 0);
			break;
		case '6': /* the parent has flock(LOCK_UN)-ed */
			result("b flock ex after a flock un", flock(fb, LOCK_EX | LOCK_NB));
			result("b flock un", flock(fb, LOCK_UN));
			break;
		case '7': /* the parent holds flock(LOCK_SH) */
			result("b flock sh while a has flock sh", flock(fb, LOCK_SH | LOCK_NB));
			result("b flock ex while a has flock sh", flock(fb, LOCK_EX | LOCK_NB));
			result("b flock un after sh", flock(fb, LOCK_UN));
			break;
		case 'f': /* probe for a flock */
			snprintf(label, sizeof(label), "b flock ex probe %d", ++probes);
			result(label, flock(fb, LOCK_EX | LOCK_NB));
			flock(fb, LOCK_UN);
			break;
		}
		write(4, "", 1);
	}
	return 0;
}

static int cmd_fd = -1, ack_fd = -1;

static void step(char c)
{
	char ack;

	if (write(cmd_fd, &c, 1) != 1 || read(ack_fd, &ack, 1) != 1) {
		say("step %c: child gone", c);
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	char *child_argv[] = { "/bin/locks", "child", NULL };
	posix_spawn_file_actions_t fa;
	int cmd[2], ack[2], fd, fd2, status = -1;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();

	fd = open_or_die("/mnt/a/f", O_RDWR | O_CREAT);
	write(fd, "0123456789", 10);
	say("a pid: %d", (int)getpid());

	if (pipe2(cmd, O_CLOEXEC) || pipe2(ack, O_CLOEXEC)) {
		say("pipe: errno %d", errno);
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, cmd[0], 3);
	posix_spawn_file_actions_adddup2(&fa, ack[1], 4);
	if (posix_spawn(&pid, "/bin/locks", &fa, NULL, child_argv, environ)) {
		say("spawn failed");
		return 1;
	}
	close(cmd[0]);
	close(ack[1]);
	cmd_fd = cmd[1];
	ack_fd = ack[0];
	say("b pid: %d", (int)pid);

	/* Byte ranges: a write lock, conflicts, getlk, unlock. */
	result("a wrlck 0-99", setlk(fd, F_WRLCK, 0, 100));
	step('1');
	result("a wrlck 200-200 while b holds 200-299", setlk(fd, F_WRLCK, 200, 1));
	result("a unlock 0-99", setlk(fd, F_UNLCK, 0, 100));
	step('2');

	/* Read locks share; a write lock waits for every reader. */
	result("a rdlck 0-eof", setlk(fd, F_RDLCK, 0, 0));
	step('3');
	result("a wrlck 0-eof while b and r read", setlk(fd, F_WRLCK, 0, 0));
	step('4');
	result("a wrlck 0-eof after b and r unlocked", setlk(fd, F_WRLCK, 0, 0));

	/* close() drops the process's locks on the file (POSIX)... */
	step('w');
	close(fd);
	step('w');
	/* ...even the close of another descriptor for the same file. */
	fd = open_or_die("/mnt/a/f", O_RDWR);
	fd2 = open_or_die("/mnt/a/f", O_RDONLY);
	result("a wrlck 0-eof again", setlk(fd, F_WRLCK, 0, 0));
	close(fd2);
	step('w');
	setlk(fd, F_UNLCK, 0, 0);

	/* flock() across the mounts. */
	result("a flock ex", flock(fd, LOCK_EX | LOCK_NB));
	step('5');
	result("a flock un", flock(fd, LOCK_UN));
	step('6');
	result("a flock sh", flock(fd, LOCK_SH | LOCK_NB));
	step('7');
	flock(fd, LOCK_UN);
	result("a flock ex before close", flock(fd, LOCK_EX | LOCK_NB));
	step('f');
	close(fd);
	step('f');

	close(cmd_fd);
	waitpid(pid, &status, 0);
	say("b exit: %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	say("done");
	return 0;
}
