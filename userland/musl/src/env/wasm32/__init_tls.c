/*
 * Thread-local storage for wasm32.
 *
 * Elsewhere the TLS image comes from the program headers and each thread's
 * block is a copy of it made by whoever creates the thread. A wasm program
 * has no program headers: its TLS is the linker's (clang's _Thread_local
 * with the atomics feature), addressed from the instance's __tls_base
 * global, and its initial image is a passive data segment that only
 * __wasm_init_tls(block) can copy, into a block of __tls_size bytes
 * aligned to __tls_align, while pointing the calling instance's
 * __tls_base at it. So a new thread initialises its own block, in its own
 * instance, as it starts (crt1.c's __wasm_clone_start_c); here the block
 * is only placed:
 *
 *   mem: dtv[0..1] ... TLS block ... struct pthread (the thread pointer)
 *
 * dtv[1] is the block's address, which is how __clone finds it. The first
 * thread keeps the block the linker gave the instance that initialised
 * memory.
 *
 * A program linked without a shared memory has no __tls_size,
 * __tls_align or __wasm_init_tls: weak fallbacks (0, and nothing to do)
 * let it link, and it cannot create threads anyway (clone fails).
 */

#define SYSCALL_NO_TLS 1
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include "pthread_impl.h"
#include "libc.h"
#include "atomic.h"
#include "syscall.h"

__asm__(
"	.globaltype __tls_size, i32, immutable\n"
"	.weak __tls_size\n"
"__tls_size:\n"
"	.globaltype __tls_align, i32, immutable\n"
"	.weak __tls_align\n"
"__tls_align:\n"
);

weak void __wasm_init_tls(void *block)
{
}

volatile int __thread_list_lock;

int __init_tp(void *p)
{
	pthread_t td = p;

	td->self = td;
	if (__set_thread_area(TP_ADJ(p)) < 0) return -1;
	libc.can_do_threads = 1;
	td->detach_state = DT_JOINABLE;
	td->tid = __syscall(SYS_set_tid_address, &__thread_list_lock);
	td->locale = &libc.global_locale;
	td->robust_list.head = &td->robust_list.head;
	td->sysinfo = __sysinfo;
	td->next = td->prev = td;
	return 0;
}

static struct builtin_tls {
	char c;
	struct pthread pt;
	void *space[16];
} builtin_tls[1];
#define MIN_TLS_ALIGN offsetof(struct builtin_tls, pt)

/* Nothing to copy from: the image is the passive segment (see above). */
static struct tls_module main_tls;

void *__copy_tls(unsigned char *mem)
{
	uintptr_t *dtv = (uintptr_t *)mem;
	uintptr_t td, block;

	td = (uintptr_t)mem + libc.tls_size - sizeof(struct pthread);
	td &= -(uintptr_t)libc.tls_align;
	block = (td - main_tls.size) & -(uintptr_t)main_tls.align;
	dtv[0] = libc.tls_cnt;
	dtv[1] = block;
	((pthread_t)td)->dtv = dtv;
	return (void *)td;
}

static void static_init_tls(size_t *aux)
{
	unsigned char *mem;
	pthread_t td;

	main_tls.size = __builtin_wasm_tls_size();
	main_tls.align = __builtin_wasm_tls_align();
	if (main_tls.align < 1) main_tls.align = 1;
	libc.tls_head = &main_tls;
	libc.tls_cnt = 1;
	libc.tls_align = main_tls.align < MIN_TLS_ALIGN ? MIN_TLS_ALIGN
	                                                  : main_tls.align;
	/* dtv, the block and the descriptor, with room to align both. */
	libc.tls_size = 2 * sizeof(void *) + sizeof(struct pthread)
		+ main_tls.size + main_tls.align + libc.tls_align
		+ MIN_TLS_ALIGN - 1 & -MIN_TLS_ALIGN;

	if (libc.tls_size > sizeof builtin_tls) {
		mem = (void *)__syscall(SYS_mmap2, 0, libc.tls_size,
		                        PROT_READ | PROT_WRITE,
		                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	} else {
		mem = (void *)builtin_tls;
	}
	td = __copy_tls(mem);
	td->dtv[1] = (uintptr_t)__builtin_wasm_tls_base();
	if (__init_tp(td) < 0) a_crash();
}

weak_alias(static_init_tls, __init_tls);
