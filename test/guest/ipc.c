/*
 * System V IPC between processes (test/e2e/ipc.test.ts): the objects are
 * the kernel's, so separate processes (each with its own memory) use them.
 *
 *   ipc msg-send KEY TEXT   queue TEXT (type 1) on the queue of KEY
 *   ipc msg-recv KEY        print the next message of type 1
 *   ipc sem-make KEY N      create a semaphore set of one, value N
 *   ipc sem-op KEY DELTA    semop(DELTA), waiting if it would go below 0
 *   ipc sem-get KEY         print the value
 *   ipc shm KEY             shmget works, shmat fails: print both results
 *   ipc sem-open NAME       print what sem_open says
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

struct text_msg {
	long type;
	char text[64];
};

static int fail(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	key_t key = argc > 2 ? (key_t)strtol(argv[2], NULL, 0) : 0;

	if (argc == 4 && !strcmp(argv[1], "msg-send")) {
		struct text_msg m = { .type = 1 };
		int q = msgget(key, IPC_CREAT | 0600);

		if (q < 0)
			return fail("msgget");
		strncpy(m.text, argv[3], sizeof(m.text) - 1);
		if (msgsnd(q, &m, strlen(m.text) + 1, 0))
			return fail("msgsnd");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "msg-recv")) {
		struct text_msg m;
		int q = msgget(key, 0);

		if (q < 0)
			return fail("msgget");
		if (msgrcv(q, &m, sizeof(m.text), 1, 0) < 0)
			return fail("msgrcv");
		printf("received %s\n", m.text);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "sem-make")) {
		int s = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);

		if (s < 0)
			return fail("semget");
		if (semctl(s, 0, SETVAL, atoi(argv[3])))
			return fail("semctl");
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "sem-op")) {
		struct sembuf op = { 0, (short)atoi(argv[3]), 0 };
		int s = semget(key, 1, 0);

		if (s < 0 || semop(s, &op, 1))
			return fail("semop");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sem-get")) {
		int s = semget(key, 1, 0);

		if (s < 0)
			return fail("semget");
		printf("value %d\n", semctl(s, 0, GETVAL));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "shm")) {
		int m = shmget(key, 65536, IPC_CREAT | 0600);
		struct shmid_ds ds;
		void *p;

		if (m < 0)
			return fail("shmget");
		if (shmctl(m, IPC_STAT, &ds))
			return fail("shmctl");
		printf("shmget ok, size %zu\n", (size_t)ds.shm_segsz);
		p = shmat(m, NULL, 0);
		if (p == (void *)-1)
			printf("shmat: %s\n", strerror(errno));
		else
			printf("shmat: attached\n");
		return shmctl(m, IPC_RMID, NULL) ? fail("shmctl IPC_RMID") : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sem-open")) {
		sem_t *s = sem_open(argv[2], O_CREAT, 0600, 1);

		if (s == SEM_FAILED)
			printf("sem_open: %s\n", strerror(errno));
		else
			printf("sem_open: opened\n");
		return 0;
	}
	fprintf(stderr, "usage: ipc msg-send|msg-recv|sem-make|sem-op|sem-get|shm|sem-open ...\n");
	return 2;
}
