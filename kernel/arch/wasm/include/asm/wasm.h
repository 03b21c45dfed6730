/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_WASM_H
#define _ASM_WASM_WASM_H

/* Statuses for wasm_host_halt(). */
#define WASM_HALT_POWER_OFF	0
#define WASM_HALT_PANIC		1
#define WASM_HALT_RESTART	2

/* Interrupt lines: bits of wasm_irq_pending, set by the host. */
#define WASM_IRQ_TIMER		0
#define WASM_IRQ_CONSOLE	1

#ifndef __ASSEMBLY__

struct pt_regs;

void wasm_console_init(void);
void paging_init(void);
unsigned long wasm_enter_user(struct pt_regs *regs);
void wasm_do_notify_resume(struct pt_regs *regs, unsigned long flags);

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_WASM_WASM_H */
