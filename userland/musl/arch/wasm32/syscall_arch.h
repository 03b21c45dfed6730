/*
 * wasmlinux system calls.
 *
 * A program imports "linux" "syscall" with the type
 *   (i32 nr, i64 a0, i64 a1, i64 a2, i64 a3, i64 a4, i64 a5) -> i32
 * and the kernel answers with its return value (-errno on failure). Every
 * argument has a 64-bit slot of its own, so a 64-bit off_t travels whole:
 * __SYSCALL_LL_E/O pass it as one argument instead of a register pair.
 *
 * The kernel's brk and anonymous mmap do not work for wasm processes (the
 * kernel is NOMMU and a process's memory is not kernel memory), so the
 * memory-management calls never reach it: __wasm_mm_syscall emulates them
 * on this module's own linear memory (src/mman/wasm32/__wasm_mm.c). The
 * test on the number folds away when the number is a constant.
 */

#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

/* Sign-extends ints, zero-extends unsigned values and pointers. */
#define __scc(X) ((long long)(X))
typedef long long syscall_arg_t;

/* The kernel's generic IPC calls take IPC_STAT etc. without a version flag. */
#define IPC_64 0

__attribute__((__import_module__("linux"), __import_name__("syscall")))
long __wasm_syscall(long, long long, long long, long long, long long,
                    long long, long long);

hidden long __wasm_mm_syscall(long, long long, long long, long long,
                              long long, long long, long long);

#include "wasm_global.h"

/*
 * A signal handler that longjmps out runs inside a system call, under the
 * kernel's frames, which the jump must not cross: the host stops it there
 * and the kernel finishes the call (docs/setjmp.md). The jump is still in
 * flight: __wasm_jumping (a global of the instance, so of the thread) is 1
 * from longjmp until a function takes the jump (longjmp.c, setjmp.c). So
 * the call's return throws it on from here: a global.get and a branch per
 * system call, without a host hop.
 */
__attribute__((__import_module__("linux"), __import_name__("longjmp")))
_Noreturn void __wasm_throw_longjmp(void);

static inline long __wasm_kernel_call(long n, long long a, long long b,
                                      long long c, long long d, long long e,
                                      long long f)
{
	long r = __wasm_syscall(n, a, b, c, d, e, f);

	if (__builtin_expect(WASM_GLOBAL_GET(__wasm_jumping) != 0, 0))
		__wasm_throw_longjmp();
	return r;
}

#define __WASM_MM_SYSCALL(n) \
	((n) == SYS_brk || (n) == SYS_mmap2 || (n) == SYS_munmap || \
	 (n) == SYS_mremap || (n) == SYS_madvise || (n) == SYS_mprotect || \
	 (n) == SYS_msync)

static inline long __wasm_sc(long n, long long a, long long b, long long c,
                             long long d, long long e, long long f)
{
	if (__WASM_MM_SYSCALL(n))
		return __wasm_mm_syscall(n, a, b, c, d, e, f);
	return __wasm_kernel_call(n, a, b, c, d, e, f);
}

static inline long __syscall0(long n)
{
	return __wasm_sc(n, 0, 0, 0, 0, 0, 0);
}

static inline long __syscall1(long n, long long a)
{
	return __wasm_sc(n, a, 0, 0, 0, 0, 0);
}

static inline long __syscall2(long n, long long a, long long b)
{
	return __wasm_sc(n, a, b, 0, 0, 0, 0);
}

static inline long __syscall3(long n, long long a, long long b, long long c)
{
	return __wasm_sc(n, a, b, c, 0, 0, 0);
}

static inline long __syscall4(long n, long long a, long long b, long long c,
                              long long d)
{
	return __wasm_sc(n, a, b, c, d, 0, 0);
}

static inline long __syscall5(long n, long long a, long long b, long long c,
                              long long d, long long e)
{
	return __wasm_sc(n, a, b, c, d, e, 0);
}

static inline long __syscall6(long n, long long a, long long b, long long c,
                              long long d, long long e, long long f)
{
	return __wasm_sc(n, a, b, c, d, e, f);
}
