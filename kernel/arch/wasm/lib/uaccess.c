// SPDX-License-Identifier: GPL-2.0
/* User string access, done by the host in one call each. */

#include <linux/export.h>
#include <linux/uaccess.h>
#include <asm/host.h>

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	if (count <= 0)
		return 0;
	if (!access_ok(src, 1))
		return -EFAULT;
	return wasm_host_strncpy_from_user(dst, src, count);
}
EXPORT_SYMBOL(strncpy_from_user);

long strnlen_user(const char __user *str, long count)
{
	if (count <= 0 || !access_ok(str, 1))
		return 0;
	return wasm_host_strnlen_user(str, count);
}
EXPORT_SYMBOL(strnlen_user);
