/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_STRING_H
#define _ASM_WASM_STRING_H

/* memory.copy and memory.fill do these in one instruction each. */
#define __HAVE_ARCH_MEMCPY
extern void *memcpy(void *dest, const void *src, __kernel_size_t n);
#define __HAVE_ARCH_MEMMOVE
extern void *memmove(void *dest, const void *src, __kernel_size_t n);
#define __HAVE_ARCH_MEMSET
extern void *memset(void *s, int c, __kernel_size_t n);

#endif /* _ASM_WASM_STRING_H */
