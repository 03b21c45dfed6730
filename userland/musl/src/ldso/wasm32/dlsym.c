/*
 * dlsym without the usual assembly that passes the caller's address (wasm
 * code cannot see return addresses). Static programs have no dynamic
 * objects, so __dlsym only reports an error anyway.
 */

#include <dlfcn.h>
#include "dynlink.h"

void *dlsym(void *restrict p, const char *restrict s)
{
	return __dlsym(p, s, 0);
}
