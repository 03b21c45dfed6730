/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_IRQFLAGS_H
#define _ASM_WASM_IRQFLAGS_H

#include <linux/compiler.h>

/*
 * Interrupts are a word in memory: the host sets bits in
 * wasm_irq_pending, and the kernel runs their handlers when it
 * enables interrupts, on system call return and when idle.
 */
#define ARCH_IRQ_DISABLED	0
#define ARCH_IRQ_ENABLED	1

extern unsigned long wasm_irq_enabled;
extern unsigned int wasm_irq_pending;
void wasm_handle_pending_irqs(void);
void wasm_handle_user_irqs(void);

static inline unsigned long arch_local_save_flags(void)
{
	return READ_ONCE(wasm_irq_enabled);
}

static inline void arch_local_irq_restore(unsigned long flags)
{
	WRITE_ONCE(wasm_irq_enabled, flags);
	if (flags == ARCH_IRQ_ENABLED && unlikely(READ_ONCE(wasm_irq_pending)))
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
