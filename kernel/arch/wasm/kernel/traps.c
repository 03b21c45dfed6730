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
#include <linux/ratelimit.h>
#include <linux/sched/debug.h>
#include <linux/cpu.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <asm/host.h>
#include <asm/wasm.h>

void __init trap_init(void)
{
}

/* The host's text of one stack; one at a time. */
static char wasm_stack_text[4096];
static DEFINE_RAW_SPINLOCK(wasm_stack_lock);

/*
 * Only the host can walk the wasm call stack, and only the calling
 * worker's: another task's stack cannot be shown.  The trace goes through
 * printk at the caller's level, so a quiet console hides it like the rest
 * of the report it belongs to.
 */
void show_stack(struct task_struct *task, unsigned long *sp,
		const char *loglvl)
{
	unsigned long flags, len;
	char *line, *end;

	if (task && task != current) {
		printk("%sCall trace: not available for another task\n",
		       loglvl);
		return;
	}
	printk("%sCall trace:\n", loglvl);
	raw_spin_lock_irqsave(&wasm_stack_lock, flags);
	len = wasm_host_dump_stack(wasm_stack_text,
				   sizeof(wasm_stack_text) - 1);
	wasm_stack_text[min(len, sizeof(wasm_stack_text) - 1)] = '\0';
	for (line = wasm_stack_text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		printk("%s %.*s\n", loglvl, (int)(end - line), line);
	}
	raw_spin_unlock_irqrestore(&wasm_stack_lock, flags);
}

/* debug.exception-trace: report traps that kill a process. */
int show_unhandled_signals = 1;

/*
 * Like a CPU's "segfault at" line: without a fault address or instruction
 * pointer, the engine's words and the innermost wasm frame say where.
 */
void wasm_show_user_trap(int sig)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	char text[160];
	unsigned long len;

	if (!show_unhandled_signals || !__ratelimit(&rs))
		return;
	len = wasm_host_user_trap(text, sizeof(text) - 1);
	text[min(len, sizeof(text) - 1)] = '\0';
	pr_info("%s[%d]: trap in user code (%s), killed by signal %d\n",
		current->comm, task_pid_nr(current), text, sig);
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
	wasm_show_user_trap(sig);
	force_fatal_sig(sig);
	regs->syscall_nr = -1;
	wasm_exit_to_user(regs, _TIF_WORK_MASK);
	/* Not reached: the task has exited. */
	return regs->sp;
}
