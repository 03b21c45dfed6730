/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_UACCESS_H
#define _ASM_WASM_UACCESS_H

/*
 * User memory is not part of the kernel's memory: every access goes
 * through the host, which copies between the shared kernel memory and
 * the calling task's own process memory and reports what it could not
 * reach.
 */
#include <asm/host.h>

static inline __must_check unsigned long
raw_copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return wasm_host_copy_from_user(to, from, n);
}

static inline __must_check unsigned long
raw_copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return wasm_host_copy_to_user(to, from, n);
}

#define INLINE_COPY_FROM_USER
#define INLINE_COPY_TO_USER

static inline __must_check unsigned long
__clear_user(void __user *to, unsigned long n)
{
	return wasm_host_clear_user(to, n);
}
#define __clear_user __clear_user

#include <asm-generic/uaccess.h>

#endif /* _ASM_WASM_UACCESS_H */
