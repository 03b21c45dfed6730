// SPDX-License-Identifier: GPL-2.0
/*
 * With bulk memory, the compiler turns these builtins into single
 * memory.copy / memory.fill instructions, never into calls back here.
 */

#include <linux/export.h>
#include <linux/string.h>

void *memcpy(void *dest, const void *src, size_t n)
{
	return __builtin_memcpy(dest, src, n);
}
EXPORT_SYMBOL(memcpy);

void *memmove(void *dest, const void *src, size_t n)
{
	return __builtin_memmove(dest, src, n);
}
EXPORT_SYMBOL(memmove);

void *memset(void *s, int c, size_t n)
{
	return __builtin_memset(s, c, n);
}
EXPORT_SYMBOL(memset);
