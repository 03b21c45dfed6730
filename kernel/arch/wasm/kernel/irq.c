// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts.
 *
 * The host raises an interrupt by setting its bit in wasm_irq_pending and
 * waking any waiter on that word.  Nothing can stop running wasm code, so
 * the kernel looks at the word whenever it enables interrupts, on system
 * call return, and while idle (where it sleeps on the word).
 */

#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/hardirq.h>
#include <asm/irq_regs.h>
#include <asm/wasm.h>

unsigned long wasm_irq_enabled = ARCH_IRQ_DISABLED;
unsigned int wasm_irq_pending __aligned(4);

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

static void wasm_handle_irqs(struct pt_regs *regs)
{
	unsigned int pending;
	struct pt_regs *old_regs;

	WRITE_ONCE(wasm_irq_enabled, ARCH_IRQ_DISABLED);
	while ((pending = __atomic_exchange_n(&wasm_irq_pending, 0,
					      __ATOMIC_ACQ_REL))) {
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
	WRITE_ONCE(wasm_irq_enabled, ARCH_IRQ_ENABLED);
}

void wasm_handle_pending_irqs(void)
{
	wasm_handle_irqs(&wasm_irq_regs_kernel);
}

void wasm_handle_user_irqs(void)
{
	if (READ_ONCE(wasm_irq_pending))
		wasm_handle_irqs(&wasm_irq_regs_user);
}

void __init init_IRQ(void)
{
	irq_set_chip_and_handler(WASM_IRQ_TIMER, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_CONSOLE, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_STDIN, &dummy_irq_chip,
				 handle_simple_irq);
	irq_set_chip_and_handler(WASM_IRQ_9P, &dummy_irq_chip,
				 handle_simple_irq);
}
