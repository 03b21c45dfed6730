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

/*
 * Kernel memory is plain memory, unlike user memory: asm-generic's
 * fallbacks would go through __get_user() and so read the calling
 * process's memory at that address (d_path() then made every path "/").
 * copy_from_kernel_nofault_allowed() (mm/maccess.c) keeps the address
 * inside the memory, where no access can fault.
 */
#define __get_kernel_nofault(dst, src, type, err_label)			\
do {									\
	*((type *)(dst)) = *((const type *)(src));			\
	if (0)								\
		goto err_label;						\
} while (0)

#define __put_kernel_nofault(dst, src, type, err_label)			\
do {									\
	*((type *)(dst)) = *((const type *)(src));			\
	if (0)								\
		goto err_label;						\
} while (0)

#include <asm-generic/uaccess.h>

#endif /* _ASM_WASM_UACCESS_H */
