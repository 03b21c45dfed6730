// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks and context switches.
 *
 * wasm cannot switch stacks, so every task runs on its own host thread
 * (a worker) with its own vmlinux instance on the shared kernel memory.
 * A switch wakes the next task's worker and parks the current one on an
 * atomic wait until some later switch hands the CPU back.
 */

#include <linux/init.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/debug.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include <linux/pm.h>
#include <linux/cpu.h>
#include <linux/oom.h>
#include <linux/kthread.h>
#include <asm/host.h>
#include <asm/mmu_context.h>
#include <asm/wasm.h>
#include <asm/wasm_cpu.h>
#include <asm/switch_to.h>

/* The boot task's stack; the host points the boot instance at its top. */
unsigned long init_stack[THREAD_SIZE / sizeof(unsigned long)]
	__aligned(THREAD_SIZE);

/* Where the host starts the boot instance's stack: below init's pt_regs. */
unsigned long wasm_boot_sp = (unsigned long)init_stack + THREAD_SIZE -
			     sizeof(struct pt_regs);

/*
 * The boot instance's TLS block.  Whichever instance happens to start first
 * initialises memory and gets wasm-ld's static TLS block, so the host gives
 * the boot instance this one explicitly, like every other instance.
 */
unsigned long wasm_boot_tls[4] __aligned(16);

/* wasm TLS is per instance, and an instance serves one task for life. */
__thread struct task_struct *wasm_current_task = &init_task;

/*
 * Written by the host before boot (asm/host.h).  Then a kernel thread
 * created for a CPU (kthread_clone_cpu()), and that CPU's idle task, live
 * on one worker, the CPU's, each on its own instance: the host suspends
 * an instance that waits and resumes it when its token comes.  Once its
 * CPU is up, such a task runs only there, so its worker has one task to
 * run at a time (before, see wasm_spin_pause()).  Each CPU then costs one
 * host thread, not six.  The other kernel threads (kthreadd, workqueue
 * rescuers, unbound kworkers, RCU's, kswapd) share one more worker: they
 * mostly sleep, and when two run at once on two CPUs, they take turns at
 * their waits, spins included (wasm_relax_pause()).
 */
unsigned int wasm_host_stack_switching __read_mostly;

static bool wasm_task_shares_worker(struct task_struct *t)
{
	return READ_ONCE(wasm_host_stack_switching) && t->thread.home >= 0;
}

static bool wasm_task_home_is_cpu(struct task_struct *t)
{
	return t->thread.home >= 0 && t->thread.home < WASM_HOME_KTHREADS;
}

/* mm->context.host_id values (asm/mmu_context.h); 0 means no process. */
atomic_long_t wasm_mm_host_ids = ATOMIC_LONG_INIT(0);

/*
 * Waiting on the token costs a host thread wake-up, 10-30 microseconds on
 * a virtual machine; a task that gets the CPU back soon (two processes on a
 * pipe) finds it much faster by watching the token for a moment first.  One
 * task watches at a time, so that watching never takes a host core from the
 * task that runs.
 */
#define WASM_RUN_SPIN_NS	100000

static struct task_struct *wasm_run_spinner;

static bool wasm_spin_for_run(struct task_struct *t, double start)
{
	u32 *run = &t->thread.run;
	double until = start + WASM_RUN_SPIN_NS;
	bool got = false;
	int i;

	if (cmpxchg(&wasm_run_spinner, NULL, t) != NULL)
		return false;
	for (i = 1; !got; i++) {
		if (READ_ONCE(*run) && xchg(run, 0))
			got = true;
		else if (!(i & 63) && wasm_host_clock_ns() > until)
			break;
	}
	/* Unless wasm_give_run() already let a new watcher in. */
	cmpxchg(&wasm_run_spinner, t, NULL);
	return got;
}

/*
 * Wait for t's token.  Watch it first if spin is allowed and the task's
 * last wait was short; whether this one was decides the next.
 */
static void wasm_wait_run(struct task_struct *t, bool spin)
{
	u32 *run = &t->thread.run;
	double start = wasm_host_clock_ns();

	if (spin && t->thread.wait_was_short && wasm_spin_for_run(t, start))
		return;
	while (!xchg(run, 0))
		wasm_wait32(run, 0, -1);
	t->thread.wait_was_short =
		wasm_host_clock_ns() - start < WASM_RUN_SPIN_NS;
}

static void wasm_give_run(struct task_struct *t)
{
	/* t is about to run: the task handing over may watch in its place. */
	cmpxchg(&wasm_run_spinner, t, NULL);
	smp_store_release(&t->thread.run, 1);
	wasm_notify(&t->thread.run, 1);
}

struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	/* prev and next may be freed once next runs: look before waking it. */
	bool dead = READ_ONCE(prev->__state) == TASK_DEAD;
	bool new_task = !next->thread.started;
	int cpu = smp_processor_id();

	/*
	 * A kthread created for a CPU runs first before it is bound, perhaps
	 * on another CPU.  Its CPU's worker may run it then only if nothing
	 * else there can be running: its CPU is this one, or not up yet.
	 */
	if (new_task && wasm_task_home_is_cpu(next) &&
	    next->thread.home != cpu && cpu_online(next->thread.home))
		next->thread.home = WASM_HOME_KTHREADS;
	/* (While it comes up, an online CPU's kworkers still run elsewhere.) */
	if (unlikely(!new_task && wasm_task_shares_worker(next) &&
		     wasm_task_home_is_cpu(next) && next->thread.home != cpu &&
		     cpu_active(next->thread.home)))
		printk_deferred_once(KERN_ERR
			"wasm: %s/%d runs on CPU%d, its worker is CPU%d's\n",
			next->comm, task_pid_nr(next), cpu, next->thread.home);

	next->thread.started = 1;
	next->thread.last = prev;
	wasm_give_run(next);

	/*
	 * A new task gets its worker only once its token is set, so that worker
	 * never starts by waiting.  (With the worker waiting first, wake-ups were
	 * lost now and then under Node 20: the worker slept with the token set.)
	 */
	if (new_task)
		wasm_host_spawn_task(next, (unsigned long)task_pt_regs(next),
				     (unsigned long)next->thread.tls_block,
				     next->mm ? next->mm->context.host_id : 0,
				     next->thread.home);

	if (dead)
		wasm_host_task_exit();

	/*
	 * No watching when a new task's worker must start (the main thread hands
	 * it the task, it instantiates its program: that needs the host's cores),
	 * nor when the CPU goes idle (what ends that is rarely quick), nor by a
	 * task whose worker other tasks need.
	 */
	wasm_wait_run(prev, !new_task && !is_idle_task(next) &&
			    !wasm_task_shares_worker(prev));
	return prev->thread.last;
}

/*
 * First code a new task's instance runs, once the host has set its stack
 * pointer and TLS block.  Returns only to enter user mode, with the user
 * stack pointer of the program execve() set up.
 */
__attribute__((export_name("wasm_task_entry")))
unsigned long wasm_task_entry(struct task_struct *task)
{
	wasm_current_task = task;
	wasm_wait_run(task, false);
	/*
	 * A secondary CPU's idle task brings its CPU up (smp.c); it is not
	 * PF_IDLE yet, but already its runqueue's idle task.
	 */
	if (task == idle_task(task_cpu(task)))
		wasm_secondary_start();
	schedule_tail(task->thread.last);

	/*
	 * A kernel thread returns only after a successful execve; a cloned
	 * user task goes straight to user mode.
	 */
	if (task->thread.fn)
		task->thread.fn(task->thread.fn_arg);
	return wasm_enter_user(task_pt_regs(task));
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct pt_regs *childregs = task_pt_regs(p);

	memset(&p->thread, 0, sizeof(p->thread));
	memset(childregs, 0, sizeof(*childregs));
	childregs->syscall_nr = -1;
	p->thread.home = -1;

	/* A secondary CPU's idle task: __cpu_up() starts it. */
	if (unlikely(args->idle))
		return 0;

	if (unlikely(args->fn)) {
		p->thread.fn = args->fn;
		p->thread.fn_arg = args->fn_arg;
		if (READ_ONCE(wasm_host_stack_switching) && args->kthread) {
			int cpu = kthread_clone_cpu(args);

			p->thread.home = cpu >= 0 ? cpu : WASM_HOME_KTHREADS;
		}
		return 0;
	}

	/*
	 * A user clone.  A wasm call stack cannot be duplicated to return
	 * twice: the child starts in a fresh instance of the same program, at
	 * its clone entry, on the stack the caller provided (musl's fork()
	 * puts the frames to rewind there).  With CLONE_VM it shares the
	 * parent's memory; without, it gets its own.
	 */
	if (!args->stack)
		return -EINVAL;
	if (!(args->flags & CLONE_VM)) {
		int err = wasm_fork_mm(p->mm);

		if (err)
			return err;
	} else if (!wasm_host_user_memory_shared()) {
		/*
		 * A memory that only this worker can use (a program linked
		 * without a shared memory) has no room for a second instance:
		 * fail the clone (pthread_create() gets EAGAIN) rather than
		 * start a child that could only die.
		 */
		return -EAGAIN;
	}
	*childregs = *current_pt_regs();
	childregs->syscall_nr = -1;
	childregs->ret = 0;
	childregs->sp = args->stack;
	childregs->pc = WASM_ENTRY_CLONE;
	childregs->tls = args->tls;
	return 0;
}

void start_thread(struct pt_regs *regs, unsigned long pc, unsigned long sp)
{
	regs->pc = WASM_ENTRY_START;
	regs->sp = sp;
	regs->flags = 0;
	set_thread_flag(TIF_WASM_EXEC);
}

/*
 * A process the OOM killer chose is ending.  Tell the host, which says so
 * even when the kernel log (with the killer's full report) is hidden.
 */
void exit_thread(struct task_struct *tsk)
{
	if (tsk_is_oom_victim(tsk) && thread_group_leader(tsk))
		wasm_host_oom_killed(task_tgid_nr(tsk), tsk->comm);
}

void flush_thread(void)
{
}

/* Sleep on this CPU's interrupt word until something is raised there. */
void arch_cpu_idle(void)
{
	unsigned long *pending = &wasm_this_cpu()->irq_pending;

	if (!READ_ONCE(*pending))
		wasm_wait32(pending, 0, -1);
	raw_local_irq_enable();
}

void show_regs(struct pt_regs *regs)
{
	show_regs_print_info(KERN_DEFAULT);
	pr_info("syscall %ld args %llx %llx %llx ret %ld sp %lx\n",
		regs->syscall_nr, regs->args[0], regs->args[1], regs->args[2],
		regs->ret, regs->sp);
}

void machine_power_off(void)
{
	do_kernel_power_off();
	wasm_host_halt(WASM_HALT_POWER_OFF, NULL);
}

static void wasm_power_off(void)
{
	wasm_host_halt(WASM_HALT_POWER_OFF, NULL);
}

/* The host can always switch the machine off. */
static int __init wasm_power_off_init(void)
{
	return register_platform_power_off(wasm_power_off);
}
arch_initcall(wasm_power_off_init);

void machine_halt(void)
{
	wasm_host_halt(WASM_HALT_POWER_OFF, NULL);
}

/*
 * The host decides what a restart means; the command of reboot(2)'s
 * RESTART2 goes with it ("exit:N" asks the host to exit with status N).
 */
void machine_restart(char *cmd)
{
	wasm_host_halt(WASM_HALT_RESTART, cmd);
}
