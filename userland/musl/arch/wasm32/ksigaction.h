/*
 * The kernel's struct sigaction on wasm has no sa_restorer (there is no code
 * address to return through; the kernel will unwind a handler itself), so
 * the mask follows the flags directly. musl's sigaction still fills in a
 * restorer: it goes after everything the kernel reads, and its flag is 0.
 */

#include <features.h>

struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	unsigned mask[2];
	void (*restorer)(void);
};

#define SA_RESTORER 0

hidden void __restore(), __restore_rt();
