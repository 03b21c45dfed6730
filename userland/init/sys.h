/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wasmlinux user system call ABI, without a C library.
 *
 * A program imports "linux" "syscall": (i32 nr, i64 a0 .. i64 a5) -> i32.
 * Every argument travels in its own 64-bit slot (pointers and ints
 * zero- or sign-extended, a 64-bit offset whole); the result is the
 * kernel's return value, -errno on failure.
 */
#ifndef WASMLINUX_SYS_H
#define WASMLINUX_SYS_H

#include <asm/unistd.h>

__attribute__((import_module("linux"), import_name("syscall")))
long __wasm_syscall(long nr, long long a0, long long a1, long long a2,
		    long long a3, long long a4, long long a5);

#define SYS_ARG(x) ((long long)(long)(x))

static inline long sys0(long nr)
{
	return __wasm_syscall(nr, 0, 0, 0, 0, 0, 0);
}

static inline long sys1(long nr, long a)
{
	return __wasm_syscall(nr, SYS_ARG(a), 0, 0, 0, 0, 0);
}

static inline long sys2(long nr, long a, long b)
{
	return __wasm_syscall(nr, SYS_ARG(a), SYS_ARG(b), 0, 0, 0, 0);
}

static inline long sys3(long nr, long a, long b, long c)
{
	return __wasm_syscall(nr, SYS_ARG(a), SYS_ARG(b), SYS_ARG(c), 0, 0, 0);
}

static inline long sys4(long nr, long a, long b, long c, long d)
{
	return __wasm_syscall(nr, SYS_ARG(a), SYS_ARG(b), SYS_ARG(c),
			      SYS_ARG(d), 0, 0);
}

#endif
