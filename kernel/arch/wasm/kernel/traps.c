// SPDX-License-Identifier: GPL-2.0
/*
 * Faults.  A trap in user code (out-of-bounds access, unreachable, a bad
 * indirect call) unwinds to the host, which reports it here; the process
 * gets the matching signal as if the CPU had raised it.
 */

#include <linux/init.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/printk.h>
#include <linux/sched/debug.h>
#include <linux/cpu.h>
#include <asm/host.h>
#include <asm/wasm.h>

void __init trap_init(void)
{
}

/*
 * Only the host can walk the wasm call stack, and only the calling
 * worker's: another task's stack cannot be shown.
 */
void show_stack(struct task_struct *task, unsigned long *sp,
		const char *loglvl)
{
	if (task && task != current) {
		printk("%sCall trace: not available for another task\n",
		       loglvl);
		return;
	}
	printk("%sCall trace:\n", loglvl);
	wasm_host_dump_stack();
}

/*
 * The trap unwound the program's wasm stack, so there is nothing a handler
 * could return to: the signal is fatal whatever the program installed.
 */
__attribute__((export_name("wasm_user_fault")))
unsigned long wasm_user_fault(int sig)
{
	struct pt_regs *regs = current_pt_regs();

	wasm_user_leave();
	if (sig != SIGSEGV && sig != SIGILL && sig != SIGBUS && sig != SIGFPE)
		sig = SIGSEGV;
	force_fatal_sig(sig);
	regs->syscall_nr = -1;
	wasm_exit_to_user(regs, _TIF_WORK_MASK);
	/* Not reached: the task has exited. */
	return regs->sp;
}
