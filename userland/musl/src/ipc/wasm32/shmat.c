/*
 * Every process has a wasm memory of its own, and a wasm memory cannot
 * show pages of another: no segment can be attached so that two processes
 * share it.  shmget() and shmctl() work (the kernel keeps the segments);
 * shmat() says plainly that it is not there.
 */
#include <errno.h>
#include <sys/shm.h>

void *shmat(int id, const void *addr, int flag)
{
	(void)id;
	(void)addr;
	(void)flag;
	errno = ENOSYS;
	return (void *)-1;
}
