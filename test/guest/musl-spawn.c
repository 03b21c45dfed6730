// SPDX-License-Identifier: GPL-2.0
/*
 * posix_spawn with musl: a child with its stdout redirected into a pipe by
 * file actions, its exit status, and the error for a missing program.
 * Run as /init by test/e2e/musl-spawn.test.ts.
 */

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char *child_argv[] = { "/init", "child", "via-pipe", NULL };
	posix_spawn_file_actions_t fa;
	char buf[256];
	int fds[2], status = -1, rc;
	ssize_t n;
	pid_t pid = -1;

	if (argc > 2 && strcmp(argv[1], "child") == 0) {
		printf("child: pid %d ppid %d arg %s\n", getpid(), getppid(), argv[2]);
		return 5;
	}

	if (pipe(fds))
		perror("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	rc = posix_spawn(&pid, "/init", &fa, NULL, child_argv, environ);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	waitpid(pid, &status, 0);
	printf("spawn: rc %d pid %d exited %d status %d\n", rc, (int)pid,
	       WIFEXITED(status), WEXITSTATUS(status));
	printf("piped: %s\n", buf);

	rc = posix_spawn(&pid, "/no/such/program", NULL, NULL, child_argv, environ);
	printf("missing: rc %d enoent %d\n", rc, rc == ENOENT);
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
