/*
 * Named semaphores live in a file under /dev/shm that every process using
 * one maps shared; a process's wasm memory cannot map a file shared with
 * another (see shmat), so sem_open() fails plainly instead of handing out
 * a semaphore other processes would not see.  Unnamed semaphores
 * (sem_init) work, between the threads of a process.
 */
#include <errno.h>
#include <semaphore.h>

sem_t *sem_open(const char *name, int flags, ...)
{
	(void)name;
	(void)flags;
	errno = ENOSYS;
	return SEM_FAILED;
}

int sem_close(sem_t *sem)
{
	(void)sem;
	errno = EINVAL;
	return -1;
}
