// SPDX-License-Identifier: GPL-2.0
/*
 * Signals.  Default actions work; user handlers need a way to run user
 * code from the kernel and come back (sigreturn), which is not there yet:
 * a caught signal is turned into SIGSEGV rather than silently dropped.
 */

#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/syscalls.h>
#include <linux/resume_user_mode.h>
#include <asm/wasm.h>

static void wasm_do_signal(struct pt_regs *regs)
{
	struct ksignal ksig;

	if (get_signal(&ksig)) {
		/* No signal frames yet: treat the handler as unreachable. */
		signal_setup_done(-EFAULT, &ksig, 0);
		return;
	}
	restore_saved_sigmask();
}

void wasm_do_notify_resume(struct pt_regs *regs, unsigned long flags)
{
	if (flags & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL))
		wasm_do_signal(regs);
	if (flags & _TIF_NOTIFY_RESUME)
		resume_user_mode_work(regs);
}

SYSCALL_DEFINE0(rt_sigreturn)
{
	return -ENOSYS;
}
