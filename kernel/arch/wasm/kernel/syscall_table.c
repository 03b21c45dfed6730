// SPDX-License-Identifier: GPL-2.0
/*
 * The system call table: every entry has the one wrapper signature
 * long (*)(const struct pt_regs *), see asm/syscall_wrapper.h.
 */

#include <linux/syscalls.h>
#include <linux/unistd.h>
#include <asm/syscall.h>

#define __wasm_sys_mmap2	__wasm_sys_mmap_pgoff
#define __SYSCALL_WITH_COMPAT(nr, native, compat)	__SYSCALL(nr, native)

#undef __SYSCALL
#define __SYSCALL(nr, call)	long __wasm_##call(const struct pt_regs *);
#include <asm/syscall_table_32.h>

#undef __SYSCALL
#define __SYSCALL(nr, call)	[nr] = __wasm_##call,

const syscall_fn_t sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = __wasm_sys_ni_syscall,
#include <asm/syscall_table_32.h>
};
