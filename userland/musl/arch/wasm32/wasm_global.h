/*
 * Per-instance state: wasm globals.
 *
 * Every thread of a process runs its own instance of the program on the
 * one shared memory, and a wasm global that the module defines (rather
 * than imports) is the instance's own. So what is per thread and has no
 * place in memory lives in such globals: the thread pointer (__wasm_tp,
 * pthread_arch.h), the cancellation-point state (__wasm_cp, crt1.c and syscall_cp.c),
 * and the linker's __tls_base and __stack_pointer. C reaches them
 * through these macros; WASM_GLOBAL_DEFINE makes one (mutable i32, 0 in a
 * new instance) in exactly one object.
 */

#define WASM_GLOBAL_DEFINE(name) __asm__( \
	".globaltype " #name ", i32\n" \
	".globl " #name "\n" \
	".hidden " #name "\n" \
	#name ":\n")

#define WASM_GLOBAL_GET(name) __extension__ ({ \
	unsigned long __v; \
	__asm__ __volatile__(".globaltype " #name ", i32\n\t" \
	                     "global.get " #name "\n\t" \
	                     "local.set %0" : "=r"(__v)); \
	__v; })

#define WASM_GLOBAL_SET(name, val) do { \
	unsigned long __v = (unsigned long)(val); \
	__asm__ __volatile__(".globaltype " #name ", i32\n\t" \
	                     "local.get %0\n\t" \
	                     "global.set " #name :: "r"(__v) : "memory"); \
} while (0)
