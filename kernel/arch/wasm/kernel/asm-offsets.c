// SPDX-License-Identifier: GPL-2.0
/*
 * No assembly needs structure offsets, but the host runtime does: it reads
 * pt_regs at fixed offsets and shares rings, interrupt lines and limits
 * with the kernel.  Every WASM_ABI_* value generated here goes into the
 * image's layout section (tools/build/kernel.ts), and the host refuses a
 * kernel whose values differ from its own (src/core/abi.ts), so the two
 * sides cannot drift apart unnoticed.
 */

#include <linux/kbuild.h>
#include <linux/sched.h>
#include <asm/host.h>
#include <asm/mmu_context.h>
#include <asm/setup.h>
#include <asm/wasm.h>

#define ABI(name, val)	DEFINE(WASM_ABI_##name, val)

void foo(void);

void foo(void)
{
	ABI(PT_REGS_SYSCALL_NR, offsetof(struct pt_regs, syscall_nr));
	ABI(PT_REGS_SP, offsetof(struct pt_regs, sp));
	ABI(PT_REGS_PC, offsetof(struct pt_regs, pc));
	ABI(PT_REGS_TLS, offsetof(struct pt_regs, tls));
	ABI(ENTRY_START, WASM_ENTRY_START);
	ABI(ENTRY_CLONE, WASM_ENTRY_CLONE);
	ABI(HALT_POWER_OFF, WASM_HALT_POWER_OFF);
	ABI(HALT_PANIC, WASM_HALT_PANIC);
	ABI(HALT_RESTART, WASM_HALT_RESTART);
	ABI(IRQ_TIMER, WASM_IRQ_TIMER);
	ABI(IRQ_CONSOLE, WASM_IRQ_CONSOLE);
	ABI(IRQ_STDIN, WASM_IRQ_STDIN);
	ABI(IRQ_9P, WASM_IRQ_9P);
	ABI(USER_PREEMPT_ADDR, WASM_USER_PREEMPT_ADDR);
	ABI(IMAGE_KEY_WORDS, WASM_IMAGE_KEY_WORDS);
	ABI(MM_LIVE_SLOTS, WASM_MM_LIVE_SLOTS);
	ABI(COMMAND_LINE_SIZE, COMMAND_LINE_SIZE);
}
