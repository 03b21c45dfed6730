/*
 * crt1 for wasmlinux: _start(sp) (crt_arch.h) → _start_c → __libc_start_main.
 *
 * clang gives main a different symbol depending on its parameters, because
 * wasm checks the type of every indirect call: main(void) becomes
 * __main_void, main(int, char **) becomes __main_argc_argv, and only
 * main(int, char **, char **) keeps its name. So crt1 calls __main_void();
 * libc's fallbacks (src/env/wasm32/) turn that into whichever main exists.
 */

#include <features.h>
#include <signal.h>
#include "libc.h"
#include "syscall.h"
#include "wasm_global.h"
#include "wasm_cp.h"

#define START "_start"

#include "crt_arch.h"

int __libc_start_main(int (*)(), int, char **,
	void (*)(), void (*)(), void (*)());

int __main_void(void);

extern _Thread_local __UINTPTR_TYPE__ __THREW__;
extern _Thread_local int __threwValue;

hidden int __wasm_argc;
hidden char **__wasm_argv;

/*
 * Calls main. A program that uses vfork gets libc's version instead
 * (src/process/wasm32/vfork.c), which also serves the vforks that unwind
 * out of main.
 */
weak int __wasm_run_main(void)
{
	return __main_void();
}

static int start_main(int argc, char **argv, char **envp)
{
	return __wasm_run_main();
}

/* The cancellation-point state (wasm_cp.h); see syscall_cp.c for why here. */
WASM_GLOBAL_DEFINE(__wasm_cp);

/* A longjmp in flight (syscall_arch.h); here so that every program has it. */
WASM_GLOBAL_DEFINE(__wasm_jumping);

/*
 * Signal handlers run as calls from the kernel (arch/wasm/kernel/signal.c):
 * the host calls this export on a stack below the interrupted code's, with
 * the frame the kernel wrote there. wasm checks the type of every indirect
 * call, so a handler is called with as many arguments as it was installed
 * with.
 */
void __wasm_sigentry(void *handler, int sig, siginfo_t *info, void *uc, int siginfo)
{
	/* Whether the code this handler interrupted was in a cancellable call. */
	unsigned long cp = WASM_GLOBAL_GET(__wasm_cp);
	/*
	 * A jump out of a handler that ran before this one, in the same
	 * system call, waits (syscall_arch.h) until this one is done: then
	 * rt_sigreturn's return throws it on.
	 */
	int jumping = WASM_GLOBAL_GET(__wasm_jumping);
	__UINTPTR_TYPE__ threw = 0;
	int threw_value = 0;

	if (jumping) {
		threw = __THREW__;
		threw_value = __threwValue;
		__THREW__ = 0;
		WASM_GLOBAL_SET(__wasm_jumping, 0);
	}
	WASM_GLOBAL_SET(__wasm_cp, cp & WASM_CP_IN_CALL ? WASM_CP_INTERRUPTED : 0);
	if (siginfo)
		((void (*)(int, siginfo_t *, void *))handler)(sig, info, uc);
	else
		((void (*)(int))handler)(sig);
	WASM_GLOBAL_SET(__wasm_cp, cp);
	if (jumping) {
		__THREW__ = threw;
		__threwValue = threw_value;
		WASM_GLOBAL_SET(__wasm_jumping, 1);
	}
	__syscall(SYS_rt_sigreturn, uc);
}

/*
 * Nothing can interrupt running wasm code, so wasmlinux-cc puts a check of
 * the word at WASM_USER_PREEMPT_ADDR at the top of every loop
 * (tools/wasm/preempt.ts): when it is not 0, the loop calls this. The host
 * writes a new value there (never 0) when the same stretch of user code has
 * run for a while with an interrupt pending (src/core/preempt-watchdog.ts);
 * any system call then lets the kernel reschedule and deliver signals on
 * its way out, as after a timer interrupt on a CPU.
 *
 * A process with one thread is the one the host meant: it clears the word
 * and enters the kernel. With several threads the host meant the one on a
 * given CPU, which is not for a thread to tell, and one that cleared the
 * word could take the request from it. So each thread enters the kernel
 * once per value (remembered in a global, one per instance, that is per
 * thread), and the host clears the word once the thread it wanted has
 * left its stretch of user code.
 */
WASM_GLOBAL_DEFINE(__wasm_preempt_seen);

void __wasm_preempt(void)
{
	volatile int *word = (volatile int *)WASM_USER_PREEMPT_ADDR;
	int v = *word;

	if (!libc.threaded) {
		*word = 0;
	} else {
		if (v == (int)WASM_GLOBAL_GET(__wasm_preempt_seen))
			return;
		WASM_GLOBAL_SET(__wasm_preempt_seen, v);
	}
	__syscall(SYS_getpid);
}

void __wasm_init_tls(void *);

/*
 * A clone()d child (crt_arch.h has set its stack and thread pointers): take
 * the TLS block __clone chose, a new thread's own (initialised here, in
 * this instance) or the parent's (shared as is), then run the function
 * __clone left on the stack, and exit with its result. No TLS may be used
 * before this.
 */
hidden void __wasm_clone_start_c(void **sp)
{
	int (*func)(void *) = (int (*)(void *))sp[0];

	if (sp[3])
		__wasm_init_tls(sp[2]);
	else
		WASM_GLOBAL_SET(__tls_base, sp[2]);

	__syscall(SYS_exit, func(sp[1]));
	for (;;)
		;
}

hidden void _start_c(long *p)
{
	int argc = p[0];
	char **argv = (void *)(p + 1);

	__wasm_argc = argc;
	__wasm_argv = argv;
	__libc_start_main(start_main, argc, argv, 0, 0, 0);
}
