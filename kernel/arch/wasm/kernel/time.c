// SPDX-License-Identifier: GPL-2.0
/*
 * Clock and timer, both kept by the host.
 *
 * The clock is the host's monotonic clock in nanoseconds, the same for
 * every CPU.  Each CPU's timer is a deadline in its wasm_cpus[] entry: a
 * host thread sleeps until the earliest one passes, then raises
 * WASM_IRQ_TIMER on that CPU.  Changing a deadline bumps wasm_timer_seq and
 * wakes that thread so it rereads them.
 */

#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/clocksource.h>
#include <linux/clockchips.h>
#include <linux/delay.h>
#include <linux/sched_clock.h>
#include <linux/timekeeping.h>
#include <linux/sched/clock.h>
#include <asm/host.h>
#include <asm/wasm.h>
#include <asm/wasm_cpu.h>

atomic_t wasm_timer_seq;

static u64 wasm_clock_read_ns(void)
{
	return (u64)wasm_host_clock_ns();
}

static u64 wasm_clocksource_read(struct clocksource *cs)
{
	return wasm_clock_read_ns();
}

static struct clocksource wasm_clocksource = {
	.name	= "wasm-host",
	.rating	= 300,
	.read	= wasm_clocksource_read,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

unsigned long long sched_clock(void)
{
	return wasm_clock_read_ns();
}

/* A clockevent is programmed only by its own CPU. */
static void wasm_timer_program(s64 deadline)
{
	WRITE_ONCE(wasm_this_cpu()->timer_deadline, deadline);
	atomic_inc(&wasm_timer_seq);
	wasm_notify(&wasm_timer_seq, 1);
}

static int wasm_timer_next_event(unsigned long delta,
				 struct clock_event_device *evt)
{
	wasm_timer_program(wasm_clock_read_ns() + delta);
	return 0;
}

static int wasm_timer_shutdown(struct clock_event_device *evt)
{
	wasm_timer_program(-1);
	return 0;
}

static DEFINE_PER_CPU(struct clock_event_device, wasm_clockevent) = {
	.name			= "wasm-timer",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.rating			= 300,
	.set_next_event		= wasm_timer_next_event,
	.set_state_shutdown	= wasm_timer_shutdown,
	.set_state_oneshot_stopped = wasm_timer_shutdown,
};

static irqreturn_t wasm_timer_interrupt(int irq, void *dev_id)
{
	struct clock_event_device *evt = dev_id;

	evt->event_handler(evt);
	return IRQ_HANDLED;
}

void read_persistent_clock64(struct timespec64 *ts)
{
	double now = wasm_host_wallclock_s();

	ts->tv_sec = (time64_t)now;
	ts->tv_nsec = (long)((now - (double)ts->tv_sec) * 1e9);
}

/* The calling CPU's timer: for the boot CPU and each secondary. */
void wasm_timer_starting_cpu(void)
{
	unsigned int cpu = smp_processor_id();
	struct clock_event_device *evt = per_cpu_ptr(&wasm_clockevent, cpu);

	evt->cpumask = cpumask_of(cpu);
	clockevents_config_and_register(evt, NSEC_PER_SEC, 1000, 0x7fffffff);
	enable_percpu_irq(WASM_IRQ_TIMER, IRQ_TYPE_NONE);
}

void __init time_init(void)
{
	int ret;

	/* Delays spin on the clock; give calibration a plausible figure. */
	lpj_fine = 1000000 / HZ;

	ret = clocksource_register_hz(&wasm_clocksource, NSEC_PER_SEC);
	if (ret)
		panic("wasm: cannot register clocksource: %d\n", ret);

	ret = request_percpu_irq(WASM_IRQ_TIMER, wasm_timer_interrupt,
				 "timer", &wasm_clockevent);
	if (ret)
		panic("wasm: cannot request timer interrupt: %d\n", ret);

	wasm_timer_starting_cpu();
}
