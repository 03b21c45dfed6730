/*
 * Thread cancellation for wasm32.
 *
 * pthread_cancel sets the target's cancel flag and sends it SIGCANCEL. The
 * handler has to decide, as on every architecture, whether the target was
 * blocked in a cancellable system call that has not completed (then it is
 * cancelled now, with nothing done by that call) or was anywhere else
 * (then at its next cancellation point). Elsewhere the interrupted program
 * counter says so and the handler moves it to __cp_cancel. wasm has none:
 *
 *   - the thread marks its cancellable calls in its instance (WASM_CP_*,
 *     src/thread/wasm32/syscall_cp.c), which the handler sees as
 *     WASM_CP_INTERRUPTED;
 *   - the kernel sets WASM_SC_SYSCALL in the frame's sc_flags when the
 *     signal interrupted a call that will be restarted or fail with EINTR,
 *     that is one with no result yet; the handler answers WASM_SC_EINTR,
 *     and the kernel makes the call fail with EINTR instead of restarting
 *     it, on which __syscall_cp_c acts on the cancellation.
 *
 * Asynchronous cancellation acts in the handler itself. A handler runs
 * when its thread enters the kernel, and a busy loop enters it at the
 * preemption polls wasmlinux-cc puts in every loop, so a thread computing
 * without system calls is cancelled there, 10-20 ms after the request.
 */

#define _GNU_SOURCE
#include <string.h>
#include "pthread_impl.h"
#include "syscall.h"
#include "wasm_cp.h"

hidden long __cancel(), __syscall_cp_asm(), __syscall_cp_c();

/* At a cancellation point with a cancellation pending. */
long __cancel()
{
	pthread_t self = __pthread_self();

	if (self->canceldisable == PTHREAD_CANCEL_ENABLE || self->cancelasync)
		pthread_exit(PTHREAD_CANCELED);
	self->canceldisable = PTHREAD_CANCEL_DISABLE;
	return -ECANCELED;
}

long __syscall_cp_c(syscall_arg_t nr,
                    syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                    syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	pthread_t self = __pthread_self();
	int st = self->canceldisable;
	long r;

	/* close is not a cancellation point once cancellation is masked. */
	if (st && (st == PTHREAD_CANCEL_DISABLE || nr == SYS_close))
		return __syscall(nr, u, v, w, x, y, z);

	r = __syscall_cp_asm(&self->cancel, nr, u, v, w, x, y, z);
	if (r == -EINTR && nr != SYS_close && self->cancel &&
	    self->canceldisable != PTHREAD_CANCEL_DISABLE)
		r = __cancel();
	return r;
}

static void block_in(sigset_t *set, int sig)
{
	unsigned s = sig - 1;
	unsigned long *w = (unsigned long *)set;

	w[s / (8 * sizeof *w)] |= 1UL << (s % (8 * sizeof *w));
}

static void cancel_handler(int sig, siginfo_t *si, void *ctx)
{
	pthread_t self = __pthread_self();
	ucontext_t *uc = ctx;

	a_barrier();
	if (!self->cancel || self->canceldisable == PTHREAD_CANCEL_DISABLE)
		return;

	/* Whatever happens next, SIGCANCEL has done its job. */
	block_in(&uc->uc_sigmask, SIGCANCEL);

	if (self->cancelasync) {
		pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, 0);
		__cancel();
	}

	if ((WASM_GLOBAL_GET(__wasm_cp) & WASM_CP_INTERRUPTED) &&
	    (uc->uc_mcontext.sc_flags & WASM_SC_SYSCALL)) {
		uc->uc_mcontext.sc_flags |= WASM_SC_EINTR;
		return;
	}

	/* Not in a cancellable call: pending (and blocked) until the next one. */
	__syscall(SYS_tkill, self->tid, SIGCANCEL);
}

void __testcancel()
{
	pthread_t self = __pthread_self();

	if (self->cancel && !self->canceldisable)
		__cancel();
}

static void init_cancellation()
{
	struct sigaction sa = {
		.sa_flags = SA_SIGINFO | SA_RESTART,
		.sa_sigaction = cancel_handler
	};

	memset(&sa.sa_mask, -1, _NSIG / 8);
	__libc_sigaction(SIGCANCEL, &sa, 0);
}

int pthread_cancel(pthread_t t)
{
	static int init;

	if (!init) {
		init_cancellation();
		init = 1;
	}
	a_store(&t->cancel, 1);
	if (t == pthread_self()) {
		if (t->canceldisable == PTHREAD_CANCEL_ENABLE && t->cancelasync)
			pthread_exit(PTHREAD_CANCELED);
		return 0;
	}
	return pthread_kill(t, SIGCANCEL);
}
