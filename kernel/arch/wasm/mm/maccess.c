// SPDX-License-Identifier: GPL-2.0
/*
 * Reading kernel memory "without faulting" (copy_from_kernel_nofault):
 * a wasm load inside the memory never faults, and one beyond its end traps
 * the whole worker, so the only check needed is the memory's size.
 */

#include <linux/uaccess.h>

bool copy_from_kernel_nofault_allowed(const void *unsafe_src, size_t size)
{
	unsigned long addr = (unsigned long)unsafe_src;
	unsigned long end = __builtin_wasm_memory_size(0) * 65536UL;

	return addr < end && size <= end - addr;
}
