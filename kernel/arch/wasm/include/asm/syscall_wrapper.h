/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_SYSCALL_WRAPPER_H
#define _ASM_WASM_SYSCALL_WRAPPER_H

/*
 * Every system call is reached as long __wasm_sys_NAME(const struct
 * pt_regs *): one signature for every entry of sys_call_table, so an
 * indirect call can never trap on a type mismatch.  User code passes each
 * argument in a 64-bit slot, so a 64-bit argument (loff_t) is one slot,
 * not a register pair.
 */

#include <asm/ptrace.h>

struct pt_regs;

#define __WASM_SC_ARG(i, t)						\
	((__typeof(__builtin_choose_expr(__TYPE_IS_LL(t), 0LL, 0L)))	\
	 regs->args[i])

#define __WASM_ARGS1(t1, a1) __WASM_SC_ARG(0, t1)
#define __WASM_ARGS2(t1, a1, ...) \
	__WASM_SC_ARG(0, t1), __WASM_ARGS2_(__VA_ARGS__)
#define __WASM_ARGS2_(t2, a2) __WASM_SC_ARG(1, t2)
#define __WASM_ARGS3(t1, a1, ...) \
	__WASM_SC_ARG(0, t1), __WASM_ARGS3_(__VA_ARGS__)
#define __WASM_ARGS3_(t2, a2, ...) \
	__WASM_SC_ARG(1, t2), __WASM_ARGS3__(__VA_ARGS__)
#define __WASM_ARGS3__(t3, a3) __WASM_SC_ARG(2, t3)
#define __WASM_ARGS4(t1, a1, ...) \
	__WASM_SC_ARG(0, t1), __WASM_ARGS4_(__VA_ARGS__)
#define __WASM_ARGS4_(t2, a2, ...) \
	__WASM_SC_ARG(1, t2), __WASM_ARGS4__(__VA_ARGS__)
#define __WASM_ARGS4__(t3, a3, t4, a4) \
	__WASM_SC_ARG(2, t3), __WASM_SC_ARG(3, t4)
#define __WASM_ARGS5(t1, a1, ...) \
	__WASM_SC_ARG(0, t1), __WASM_ARGS5_(__VA_ARGS__)
#define __WASM_ARGS5_(t2, a2, ...) \
	__WASM_SC_ARG(1, t2), __WASM_ARGS5__(__VA_ARGS__)
#define __WASM_ARGS5__(t3, a3, t4, a4, t5, a5) \
	__WASM_SC_ARG(2, t3), __WASM_SC_ARG(3, t4), __WASM_SC_ARG(4, t5)
#define __WASM_ARGS6(t1, a1, ...) \
	__WASM_SC_ARG(0, t1), __WASM_ARGS6_(__VA_ARGS__)
#define __WASM_ARGS6_(t2, a2, ...) \
	__WASM_SC_ARG(1, t2), __WASM_ARGS6__(__VA_ARGS__)
#define __WASM_ARGS6__(t3, a3, t4, a4, t5, a5, t6, a6) \
	__WASM_SC_ARG(2, t3), __WASM_SC_ARG(3, t4), __WASM_SC_ARG(4, t5), \
	__WASM_SC_ARG(5, t6)

#define __SYSCALL_DEFINEx(x, name, ...)					\
	long __wasm_sys##name(const struct pt_regs *regs);		\
	ALLOW_ERROR_INJECTION(__wasm_sys##name, ERRNO);			\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__));	\
	static inline long __do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__)); \
	long __wasm_sys##name(const struct pt_regs *regs)		\
	{								\
		return __se_sys##name(__WASM_ARGS##x(__VA_ARGS__));	\
	}								\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__))	\
	{								\
		long ret = __do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__)); \
		__MAP(x, __SC_TEST, __VA_ARGS__);			\
		__PROTECT(x, ret, __MAP(x, __SC_ARGS, __VA_ARGS__));	\
		return ret;						\
	}								\
	static inline long __do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))

#define SYSCALL_DEFINE0(sname)						\
	SYSCALL_METADATA(_##sname, 0);					\
	long __wasm_sys_##sname(const struct pt_regs *__unused);	\
	ALLOW_ERROR_INJECTION(__wasm_sys_##sname, ERRNO);		\
	long __wasm_sys_##sname(const struct pt_regs *__unused)

#define COND_SYSCALL(name)						\
	long __weak __wasm_sys_##name(const struct pt_regs *regs);	\
	long __weak __wasm_sys_##name(const struct pt_regs *regs)	\
	{								\
		return sys_ni_syscall();				\
	}

/* There is no compat ABI. */
#define COND_SYSCALL_COMPAT(name)

#endif /* _ASM_WASM_SYSCALL_WRAPPER_H */
