// SPDX-License-Identifier: GPL-2.0
/*
 * Signal delivery.
 *
 * User code cannot be interrupted at an arbitrary instruction, so signals
 * are delivered when a task is about to return to user code from a system
 * call.  A handler runs as a nested call: the kernel writes a signal frame
 * (siginfo and ucontext) below the user stack pointer and asks the host to
 * call the program's __wasm_sigentry export, which calls the handler and
 * then rt_sigreturn.  When that returns, the interrupted system call
 * finishes (or is restarted) as if the handler had run on its way out.
 *
 * The handler's own system calls reuse this task's pt_regs, so the state
 * of the interrupted call is kept on the kernel stack meanwhile; the frame
 * on the user stack only carries what user code may look at or change (the
 * blocked mask, the alternate stack, sc_flags).
 *
 * So every handler costs kernel stack until it returns.  The return from
 * a handler (rt_sigreturn) delivers nothing itself (wasm_syscall()): the
 * next pending signal is delivered by the loop that ran the handler, at
 * the same depth, so a queue of a thousand signals runs a thousand
 * handlers one after another.  Only a signal that arrives during a
 * handler's own system calls nests, as on a CPU, and that nesting is
 * bounded (wasm_signal_too_deep()).
 */

#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>
#include <linux/resume_user_mode.h>
#include <asm/host.h>
#include <asm/ucontext.h>
#include <asm/unistd.h>
#include <asm/wasm.h>

struct rt_sigframe {
	struct siginfo info;
	struct ucontext uc;
	/* C libraries have a larger sigset_t in their ucontext_t. */
	u8 sigmask_pad[128 - sizeof(sigset_t)];
	/* The interrupted code's stack pointer, for rt_sigreturn. */
	unsigned long sp;
};

/*
 * A handler nesting inside another handler's system call takes kernel
 * stack (this task's saved pt_regs, the host's frames) for as long as it
 * runs.  Past half the stack, a further handler gets SIGSEGV instead, as
 * a CPU's program would once nested handlers overflowed its user stack:
 * a program must not be able to overflow the kernel's.
 */
static bool wasm_signal_too_deep(void)
{
	unsigned long here = (unsigned long)__builtin_frame_address(0);
	unsigned long bottom = (unsigned long)task_stack_page(current);

	return here - bottom < THREAD_SIZE / 2;
}

static bool setup_rt_frame(struct ksignal *ksig, unsigned long sp,
			   struct rt_sigframe __user *frame,
			   unsigned long sc_flags)
{
	int err = 0;

	if (!access_ok(frame, sizeof(*frame)))
		return false;
	err |= copy_siginfo_to_user(&frame->info, &ksig->info);
	err |= __put_user(0, &frame->uc.uc_flags);
	err |= __put_user(NULL, &frame->uc.uc_link);
	err |= __save_altstack(&frame->uc.uc_stack, sp);
	err |= __put_user(sc_flags, &frame->uc.uc_mcontext.sc_flags);
	err |= __put_user(sp, &frame->sp);
	err |= __copy_to_user(&frame->uc.uc_sigmask, sigmask_to_save(),
			      sizeof(sigset_t));
	err |= __clear_user(frame->sigmask_pad, sizeof(frame->sigmask_pad));
	return !err;
}

static void handle_signal(struct ksignal *ksig, struct pt_regs *regs)
{
	struct rt_sigframe __user *frame;
	struct pt_regs saved;
	unsigned long sp, sc_flags = 0;
	bool eintr;
	int trap;

	/* 0: the program has no signal entry (it was not built with our libc). */
	sp = wasm_host_user_sp();
	if (!sp || wasm_signal_too_deep()) {
		force_sigsegv(ksig->sig);
		return;
	}
	/* After syscall_restart(): will the call be made again, or fail? */
	if (regs->syscall_nr >= 0 &&
	    ((regs->flags & PT_WASM_RESTART) || regs->ret == -EINTR))
		sc_flags = WASM_SC_SYSCALL;
	frame = (struct rt_sigframe __user *)
		((sigsp(sp, ksig) - sizeof(*frame)) & ~15UL);
	if (!setup_rt_frame(ksig, sp, frame, sc_flags)) {
		signal_setup_done(-EFAULT, ksig, 0);
		return;
	}
	signal_setup_done(0, ksig, 0);

	saved = *regs;
	/*
	 * The handler runs on the frame's stack: sigaltstack() called there
	 * must see it (SS_ONSTACK, and EPERM for a change).
	 */
	regs->sp = (unsigned long)frame;
	regs->flags &= ~PT_WASM_SIGRETURN_EINTR;
	/* The handler is user code: the host may have to preempt it too. */
	wasm_user_enter();
	trap = wasm_host_user_signal((void __user *)ksig->ka.sa.sa_handler,
				     ksig->sig,
				     &frame->info, &frame->uc,
				     (unsigned long)frame,
				     !!(ksig->ka.sa.sa_flags & SA_SIGINFO));
	wasm_user_leave();
	eintr = regs->flags & PT_WASM_SIGRETURN_EINTR;
	*regs = saved;
	/*
	 * The handler longjmp()ed out of the interrupted code: as on a CPU,
	 * where the jump never comes back to the restarted call, the call is
	 * not made again; musl's stub throws the jump on as the call returns.
	 */
	if (trap == WASM_SIGNAL_JUMPED) {
		trap = 0;
		eintr = true;
	}
	/* The handler asked for the interrupted call to fail, not restart. */
	if (eintr && (regs->flags & PT_WASM_RESTART)) {
		regs->flags &= ~PT_WASM_RESTART;
		regs->ret = -EINTR;
	}
	/* The handler trapped: that is the task's fault, as on a CPU. */
	if (trap) {
		wasm_show_user_trap(trap);
		force_sig(trap);
	}
}

/*
 * A system call interrupted by a signal says how to go on through its
 * -ERESTART* value; PT_WASM_RESTART makes wasm_syscall() call it again.
 */
static void syscall_restart(struct pt_regs *regs, struct k_sigaction *ka)
{
	if (regs->syscall_nr < 0)
		return;
	regs->flags &= ~PT_WASM_RESTART;
	switch (regs->ret) {
	case -ERESTART_RESTARTBLOCK:
		if (!ka) {
			regs->syscall_nr = __NR_restart_syscall;
			regs->flags |= PT_WASM_RESTART;
			break;
		}
		fallthrough;
	case -ERESTARTNOHAND:
		if (ka)
			regs->ret = -EINTR;
		else
			regs->flags |= PT_WASM_RESTART;
		break;
	case -ERESTARTSYS:
		if (ka && !(ka->sa.sa_flags & SA_RESTART)) {
			regs->ret = -EINTR;
			break;
		}
		fallthrough;
	case -ERESTARTNOINTR:
		regs->flags |= PT_WASM_RESTART;
		break;
	}
}

static void wasm_do_signal(struct pt_regs *regs)
{
	struct ksignal ksig;

	if (get_signal(&ksig)) {
		syscall_restart(regs, &ksig.ka);
		handle_signal(&ksig, regs);
		return;
	}
	syscall_restart(regs, NULL);
	restore_saved_sigmask();
}

void wasm_do_notify_resume(struct pt_regs *regs, unsigned long flags)
{
	if (flags & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL))
		wasm_do_signal(regs);
	if (flags & _TIF_NOTIFY_RESUME)
		resume_user_mode_work(regs);
}

/*
 * __wasm_sigentry passes the frame's ucontext: unlike on a CPU, the kernel
 * cannot find it from a stack pointer register.
 */
SYSCALL_DEFINE1(rt_sigreturn, struct ucontext __user *, uc)
{
	struct rt_sigframe __user *frame = (struct rt_sigframe __user *)
		((char __user *)uc - offsetof(struct rt_sigframe, uc));
	struct pt_regs *regs = current_pt_regs();
	unsigned long sp, sc_flags;
	sigset_t set;

	current->restart_block.fn = do_no_restart_syscall;
	if (copy_from_user(&set, &uc->uc_sigmask, sizeof(set)) ||
	    get_user(sp, &frame->sp) ||
	    get_user(sc_flags, &uc->uc_mcontext.sc_flags))
		goto badframe;
	set_current_blocked(&set);
	/* The alternate stack is restored as seen from the interrupted code. */
	regs->sp = sp;
	if (restore_altstack(&uc->uc_stack))
		goto badframe;
	if (sc_flags & WASM_SC_EINTR)
		regs->flags |= PT_WASM_SIGRETURN_EINTR;
	return 0;

badframe:
	force_sig(SIGSEGV);
	return 0;
}
