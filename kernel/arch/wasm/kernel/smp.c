// SPDX-License-Identifier: GPL-2.0
/*
 * Symmetric multiprocessing.
 *
 * A CPU is not a thread of its own: whichever task holds a CPU runs on its
 * own worker, and a context switch hands that CPU's token to the next
 * task's worker (process.c).  So bringing a CPU up is starting its idle
 * task on a worker, and an IPI is an interrupt line raised in the target
 * CPU's wasm_cpus[] entry, which wakes it if it is idle.  A CPU that runs
 * user code sees an IPI when the host's preemption watchdog makes that
 * code enter the kernel.
 */

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/smp.h>
#include <asm/host.h>
#include <asm/wasm.h>
#include <asm/wasm_cpu.h>

/* The host writes how many CPUs to run before it starts the kernel. */
u32 wasm_boot_cpus = 1;

/* And whether its CPU orders memory like x86 (asm/barrier.h). */
unsigned int wasm_host_tso __read_mostly;

/* Called from setup_arch(): the CPUs the host gives us are all present. */
void __init wasm_smp_init_cpus(void)
{
	unsigned int n = clamp_t(u32, READ_ONCE(wasm_boot_cpus), 1, NR_CPUS);
	unsigned int cpu;

	for (cpu = 0; cpu < n; cpu++) {
		set_cpu_possible(cpu, true);
		set_cpu_present(cpu, true);
	}
}

void __init smp_prepare_boot_cpu(void)
{
}

void __init smp_prepare_cpus(unsigned int max_cpus)
{
}

void __init smp_cpus_done(unsigned int max_cpus)
{
	pr_info("wasm: %u CPUs online\n", num_online_cpus());
}

static DECLARE_COMPLETION(wasm_cpu_running);

int __cpu_up(unsigned int cpu, struct task_struct *idle)
{
	/*
	 * The idle task holds its CPU from the start: give it the token, then
	 * a worker, as __switch_to() does for any new task.
	 */
	idle->thread.started = 1;
	if (READ_ONCE(wasm_host_stack_switching))
		idle->thread.home = cpu;
	smp_store_release(&idle->thread.run, 1);
	wasm_host_spawn_task(idle, (unsigned long)task_pt_regs(idle),
			     (unsigned long)idle->thread.tls_block, 0,
			     idle->thread.home);

	if (!wait_for_completion_timeout(&wasm_cpu_running,
					 msecs_to_jiffies(10000)) ||
	    !cpu_online(cpu)) {
		pr_err("wasm: CPU%u did not come up\n", cpu);
		return -EIO;
	}
	return 0;
}

/* A secondary CPU's idle task, first thing on its new worker. */
void __noreturn wasm_secondary_start(void)
{
	unsigned int cpu = smp_processor_id();

	mmgrab(&init_mm);
	current->active_mm = &init_mm;

	notify_cpu_starting(cpu);
	wasm_ipi_starting_cpu();
	wasm_timer_starting_cpu();
	set_cpu_online(cpu, true);
	complete(&wasm_cpu_running);

	local_irq_enable();
	cpu_startup_entry(CPUHP_AP_ONLINE_IDLE);
}

static void wasm_send_ipi(unsigned int cpu, unsigned int msg)
{
	set_bit(msg, &wasm_cpus[cpu].ipi);
	wasm_raise_irq(cpu, WASM_IRQ_IPI);
}

void arch_smp_send_reschedule(int cpu)
{
	wasm_send_ipi(cpu, WASM_IPI_RESCHEDULE);
}

void arch_send_call_function_single_ipi(int cpu)
{
	wasm_send_ipi(cpu, WASM_IPI_CALL_FUNC);
}

void arch_send_call_function_ipi_mask(const struct cpumask *mask)
{
	unsigned int cpu;

	for_each_cpu(cpu, mask)
		wasm_send_ipi(cpu, WASM_IPI_CALL_FUNC);
}

/* Panic, reboot: the other CPUs stop where they are. */
void smp_send_stop(void)
{
	unsigned int cpu, self = smp_processor_id();

	for_each_online_cpu(cpu)
		if (cpu != self)
			wasm_send_ipi(cpu, WASM_IPI_STOP);
}

static void __noreturn wasm_stop_this_cpu(void)
{
	u32 never = 0;

	set_cpu_online(smp_processor_id(), false);
	for (;;)
		wasm_wait32(&never, 0, -1);
}

void wasm_handle_ipi(void)
{
	unsigned long msgs = xchg(&wasm_this_cpu()->ipi, 0);

	if (msgs & BIT(WASM_IPI_STOP))
		wasm_stop_this_cpu();
	if (msgs & BIT(WASM_IPI_RESCHEDULE))
		scheduler_ipi();
	if (msgs & BIT(WASM_IPI_CALL_FUNC))
		generic_smp_call_function_interrupt();
}

/* Never notified: waiting on it with a timeout is a short sleep. */
static u32 wasm_spin_word;

/* cpu_relax() calls by this instance's task: spins of wait loops. */
static __thread unsigned int wasm_relax_count;

#define WASM_SPIN_BEFORE_SLEEP	4096
#define WASM_SPIN_SLEEP_NS	20000

/*
 * A task that shares its worker is suspended here (a timer of the host's
 * event loop, less precise): before its CPU is up, a per-CPU kthread runs
 * elsewhere, and the lock it waits for may be held by another, on another
 * CPU, waiting for this worker.
 */
static void wasm_spin_sleep(void)
{
	wasm_wait32(&wasm_spin_word, 0, WASM_SPIN_SLEEP_NS);
}

void wasm_spin_pause(unsigned int *spins)
{
	if (++*spins >= WASM_SPIN_BEFORE_SLEEP)
		wasm_spin_sleep();
}

/*
 * Every 4096th cpu_relax() of a task sleeps as wasm_spin_pause() does:
 * loops that spin with cpu_relax() (wait_task_inactive(), seqcount
 * readers) may wait for a task that shares this worker.
 */
void wasm_relax_pause(void)
{
	if (++wasm_relax_count % WASM_SPIN_BEFORE_SLEEP == 0)
		wasm_spin_sleep();
}
