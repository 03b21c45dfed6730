// SPDX-License-Identifier: GPL-2.0
/*
 * Clock and timer, both kept by the host.
 *
 * The clock is the host's monotonic clock in nanoseconds.  The timer is a
 * deadline in shared memory: a host thread sleeps until it passes, then
 * raises WASM_IRQ_TIMER.  Changing the deadline bumps wasm_timer_seq and
 * wakes that thread so it rereads it.
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

/* Absolute deadline in host nanoseconds; -1 when the timer is off. */
s64 wasm_timer_deadline __aligned(8) = -1;
u32 wasm_timer_seq __aligned(4);

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

static void wasm_timer_program(s64 deadline)
{
	__atomic_store_n(&wasm_timer_deadline, deadline, __ATOMIC_RELEASE);
	__atomic_fetch_add(&wasm_timer_seq, 1, __ATOMIC_ACQ_REL);
	__builtin_wasm_memory_atomic_notify((int *)&wasm_timer_seq, 1);
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

static struct clock_event_device wasm_clockevent = {
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

void __init time_init(void)
{
	int ret;

	/* Delays spin on the clock; give calibration a plausible figure. */
	lpj_fine = 1000000 / HZ;

	ret = clocksource_register_hz(&wasm_clocksource, NSEC_PER_SEC);
	if (ret)
		panic("wasm: cannot register clocksource: %d\n", ret);

	ret = request_irq(WASM_IRQ_TIMER, wasm_timer_interrupt, IRQF_TIMER,
			  "timer", &wasm_clockevent);
	if (ret)
		panic("wasm: cannot request timer interrupt: %d\n", ret);

	wasm_clockevent.cpumask = cpu_possible_mask;
	clockevents_config_and_register(&wasm_clockevent, NSEC_PER_SEC,
					1000, 0x7fffffff);
}
