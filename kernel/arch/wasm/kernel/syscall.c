// SPDX-License-Identifier: GPL-2.0
/*
 * The system call path.
 *
 * A user program imports "linux" "syscall"; the host binds that import
 * straight to this instance's wasm_syscall export, so a system call is a
 * plain wasm call from the user instance into the kernel instance of the
 * same worker, with no JavaScript in between.
 */

#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/syscalls.h>
#include <linux/resume_user_mode.h>
#include <linux/mm_types.h>
#include <asm/host.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include <asm/wasm.h>
#include <asm/wasm_cpu.h>

/*
 * Which process's code each CPU is running, for the host: wasm code cannot
 * be interrupted, so wasmlinux-cc makes every loop in a program poll a word
 * in the program's memory (WASM_USER_PREEMPT_ADDR) and enter the kernel
 * when it is set.  The host sets it when it sees the same stretch of user
 * code (same user_seq) still running on a CPU with an interrupt pending
 * there, and the kernel then does on that system call's way out what a
 * timer interrupt would have done: reschedule, or deliver a signal.
 */
void wasm_user_enter(void)
{
	struct wasm_cpu *cpu = wasm_this_cpu();
	struct mm_struct *mm = current->mm;

	/*
	 * Only this CPU writes its words, and the host only samples them
	 * every few milliseconds: plain stores, as a wasm atomic store is a
	 * full barrier (an xchg on x86) on every system call.
	 */
	WRITE_ONCE(cpu->user_seq, cpu->user_seq + 1);
	WRITE_ONCE(cpu->user_mm, mm ? mm->context.host_id : 0);
}

void wasm_user_leave(void)
{
	WRITE_ONCE(wasm_this_cpu()->user_mm, 0);
}

long __wasm_sys_ni_syscall(const struct pt_regs *regs)
{
	return -ENOSYS;
}

/*
 * Work due before user code runs again: rescheduling, signals, and the
 * switch to a new program after execve().  Returns the user stack pointer
 * when a new program must start there, 0 to go back to the caller.
 */
unsigned long wasm_exit_to_user(struct pt_regs *regs, unsigned long work)
{
	unsigned long flags;

	for (;;) {
		local_irq_disable();
		flags = READ_ONCE(current_thread_info()->flags);
		if (!(flags & work))
			break;
		local_irq_enable();
		if (flags & _TIF_NEED_RESCHED)
			schedule();
		else
			wasm_do_notify_resume(regs, flags & work);
	}
	local_irq_enable();

	/* Look before the atomic read-modify-write: an execve is rare. */
	if (unlikely(test_thread_flag(TIF_WASM_EXEC)) &&
	    test_and_clear_thread_flag(TIF_WASM_EXEC))
		return regs->sp;
	return 0;
}

/*
 * A task entering user mode other than by returning from a system call
 * (after execve, or as a clone child) starts at regs->sp.  Its program has
 * no instance yet that a signal handler could run in, so signals wait for
 * its first system call.
 */
unsigned long wasm_enter_user(struct pt_regs *regs)
{
	wasm_exit_to_user(regs, _TIF_WORK_MASK &
			  ~(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL));
	wasm_user_enter();
	return regs->sp;
}

static long wasm_call_syscall(struct pt_regs *regs)
{
	unsigned long nr = regs->syscall_nr;

	if (likely(nr < __NR_syscalls))
		return sys_call_table[nr](regs);
	return -ENOSYS;
}

__attribute__((export_name("wasm_syscall")))
long wasm_syscall(long nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned long new_sp, work = _TIF_WORK_MASK;

	wasm_user_leave();
	/* Interrupts raised while user code ran: ticks count as user time. */
	wasm_handle_user_irqs();
	regs->syscall_nr = nr;
	regs->args[0] = a0;
	regs->args[1] = a1;
	regs->args[2] = a2;
	regs->args[3] = a3;
	regs->args[4] = a4;
	regs->args[5] = a5;
	regs->orig_ret = -ENOSYS;
	/*
	 * A signal that came while user code ran would have been delivered
	 * before this call on a CPU, by the interrupt that brought it: do the
	 * same, and make the call once its handler has returned.  Made first,
	 * the call would fail with EINTR for a signal older than itself (a
	 * tty write does, at once), and a program without SA_RESTART would
	 * lose what it wrote.  A handler returning is the exception, as below.
	 */
	if (unlikely(READ_ONCE(current_thread_info()->flags) &
		     (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL)) &&
	    nr != __NR_rt_sigreturn)
		regs->ret = -ERESTARTNOINTR;
	else
		regs->ret = wasm_call_syscall(regs);

	/*
	 * A handler returning: the signals still pending are delivered by
	 * the loop that ran it, at its depth, never nested inside the
	 * handler that is finishing (signal.c).
	 */
	if (nr == __NR_rt_sigreturn)
		work &= ~(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL);

	/* A signal may ask for the call to be made again (signal.c). */
	for (;;) {
		new_sp = wasm_exit_to_user(regs, work);
		if (!(regs->flags & PT_WASM_RESTART))
			break;
		regs->flags &= ~PT_WASM_RESTART;
		regs->ret = wasm_call_syscall(regs);
	}
	regs->syscall_nr = -1;
	wasm_user_enter();
	if (new_sp)
		wasm_host_exec_restart(new_sp);
	return regs->ret;
}
