// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts.
 *
 * Each CPU has a word of pending interrupt lines in wasm_cpus[].  The host
 * (or another CPU, for an IPI) sets a line's bit and wakes any waiter on
 * that word.  Nothing can stop running wasm code, so a CPU looks at its
 * word whenever it enables interrupts, on system call entry and return,
 * and while idle (where it sleeps on the word).  Devices interrupt CPU 0;
 * the timer and IPIs are per CPU.
 */

#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/hardirq.h>
#include <asm/irq_regs.h>
#include <asm/host.h>
#include <asm/wasm.h>
#include <asm/wasm_cpu.h>

struct wasm_cpu wasm_cpus[NR_CPUS] = {
	[0 ... NR_CPUS - 1] = { .timer_deadline = -1 },
};

/*
 * Interrupts never arrive in the middle of kernel code: the kernel looks
 * for them when it enables interrupts or idles.  Those that were raised
 * while user code ran are taken at the next system call's entry, and
 * count as interrupting user mode (a tick then counts as user time).
 */
static struct pt_regs wasm_irq_regs_kernel = {
	.syscall_nr = -1,
	.flags = PT_WASM_KERNEL,
};
static struct pt_regs wasm_irq_regs_user = {
	.syscall_nr = -1,
};

/* Raise interrupt line irq on cpu, waking it if it is idle. */
void wasm_raise_irq(unsigned int cpu, unsigned int irq)
{
	struct wasm_cpu *c = &wasm_cpus[cpu];

	set_bit(irq, &c->irq_pending);
	wasm_notify(&c->irq_pending, 1);
}

static void wasm_handle_irqs(struct pt_regs *regs)
{
	struct wasm_cpu *c = wasm_this_cpu();
	unsigned long pending;
	struct pt_regs *old_regs;

	WRITE_ONCE(c->irq_enabled, ARCH_IRQ_DISABLED);
	while ((pending = xchg(&c->irq_pending, 0))) {
		old_regs = set_irq_regs(regs);
		irq_enter();
		while (pending) {
			unsigned int irq = __builtin_ctz(pending);

			pending &= pending - 1;
			generic_handle_irq(irq);
		}
		irq_exit();
		set_irq_regs(old_regs);
	}
	WRITE_ONCE(c->irq_enabled, ARCH_IRQ_ENABLED);
}

void wasm_handle_pending_irqs(void)
{
	wasm_handle_irqs(&wasm_irq_regs_kernel);
}

void wasm_handle_user_irqs(void)
{
	if (READ_ONCE(wasm_this_cpu()->irq_pending))
		wasm_handle_irqs(&wasm_irq_regs_user);
}

static DEFINE_PER_CPU(int, wasm_ipi_dev);

static irqreturn_t wasm_ipi_interrupt(int irq, void *dev_id)
{
	wasm_handle_ipi();
	return IRQ_HANDLED;
}

/* The IPI line on the calling CPU: for the boot CPU and each secondary. */
void wasm_ipi_starting_cpu(void)
{
	enable_percpu_irq(WASM_IRQ_IPI, IRQ_TYPE_NONE);
}

void __init init_IRQ(void)
{
	int ret;

	irq_set_chip_and_handler(WASM_IRQ_CONSOLE, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_STDIN, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_9P, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_NET, &dummy_irq_chip,
				 handle_simple_irq);

	/* The timer and IPIs are per CPU: one line, a handler per CPU. */
	irq_set_percpu_devid(WASM_IRQ_TIMER);
	irq_set_chip_and_handler(WASM_IRQ_TIMER, &dummy_irq_chip,
				 handle_percpu_devid_irq);
	irq_set_percpu_devid(WASM_IRQ_IPI);
	irq_set_chip_and_handler(WASM_IRQ_IPI, &dummy_irq_chip,
				 handle_percpu_devid_irq);
	ret = request_percpu_irq(WASM_IRQ_IPI, wasm_ipi_interrupt, "IPI",
				 &wasm_ipi_dev);
	if (ret)
		panic("wasm: cannot request the IPI line: %d\n", ret);
	wasm_ipi_starting_cpu();
}
