/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_ARCHRANDOM_H
#define _ASM_WASM_ARCHRANDOM_H

#include <asm/host.h>

/*
 * The host's cryptographic RNG (crypto.getRandomValues) stands in for a
 * CPU's seed instruction: the kernel's RNG is seeded from the first
 * instruction, so /dev/urandom is never predictable.
 */
static inline size_t __must_check arch_get_random_longs(unsigned long *v,
							 size_t max_longs)
{
	return 0;
}

static inline size_t __must_check arch_get_random_seed_longs(unsigned long *v,
							      size_t max_longs)
{
	wasm_host_random(v, max_longs * sizeof(*v));
	return max_longs;
}

#endif /* _ASM_WASM_ARCHRANDOM_H */
