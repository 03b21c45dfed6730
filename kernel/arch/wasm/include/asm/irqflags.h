/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_IRQFLAGS_H
#define _ASM_WASM_IRQFLAGS_H

#include <linux/compiler.h>
#include <asm/wasm_cpu.h>

/*
 * Interrupts are words in memory, per CPU: the host (or another CPU) sets
 * bits in irq_pending, and the CPU runs their handlers when it enables
 * interrupts, on system call entry and return, and when idle.  The
 * interrupt flag belongs to the CPU, not to the task: a task switch with
 * interrupts off leaves them off for the next task.
 */
#define ARCH_IRQ_DISABLED	0
#define ARCH_IRQ_ENABLED	1

void wasm_handle_pending_irqs(void);
void wasm_handle_user_irqs(void);

static inline unsigned long arch_local_save_flags(void)
{
	return READ_ONCE(wasm_this_cpu()->irq_enabled);
}

static inline void arch_local_irq_restore(unsigned long flags)
{
	struct wasm_cpu *cpu = wasm_this_cpu();

	WRITE_ONCE(cpu->irq_enabled, flags);
	if (flags == ARCH_IRQ_ENABLED && unlikely(READ_ONCE(cpu->irq_pending)))
		wasm_handle_pending_irqs();
}

#define arch_local_irq_restore arch_local_irq_restore
#define arch_local_save_flags arch_local_save_flags

static inline bool arch_irqs_disabled_flags(unsigned long flags)
{
	return flags == ARCH_IRQ_DISABLED;
}
#define arch_irqs_disabled_flags arch_irqs_disabled_flags

#include <asm-generic/irqflags.h>

#endif /* _ASM_WASM_IRQFLAGS_H */
