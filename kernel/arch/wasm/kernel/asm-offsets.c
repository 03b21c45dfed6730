// SPDX-License-Identifier: GPL-2.0
/*
 * No assembly needs structure offsets, but the host runtime does: it reads
 * pt_regs, shares per-CPU words, rings, interrupt lines and limits with
 * the kernel (the structures are defined once, in asm/host.h).  Every WASM_ABI_* value generated here goes into the
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
	ABI(SIGNAL_JUMPED, WASM_SIGNAL_JUMPED);
	ABI(IRQ_TIMER, WASM_IRQ_TIMER);
	ABI(IRQ_CONSOLE, WASM_IRQ_CONSOLE);
	ABI(IRQ_STDIN, WASM_IRQ_STDIN);
	ABI(IRQ_9P, WASM_IRQ_9P);
	ABI(IRQ_IPI, WASM_IRQ_IPI);
	ABI(IRQ_NET, WASM_IRQ_NET);
	ABI(NR_CPUS, NR_CPUS);
	ABI(HOME_KTHREADS, WASM_HOME_KTHREADS);
	ABI(CPU_SIZE, sizeof(struct wasm_cpu));
	ABI(CPU_IRQ_PENDING, offsetof(struct wasm_cpu, irq_pending));
	ABI(CPU_USER_MM, offsetof(struct wasm_cpu, user_mm));
	ABI(CPU_USER_SEQ, offsetof(struct wasm_cpu, user_seq));
	ABI(CPU_TIMER_DEADLINE, offsetof(struct wasm_cpu, timer_deadline));
	ABI(CONSOLE_RING_HEAD, offsetof(struct wasm_console_ring, head));
	ABI(CONSOLE_RING_TAIL, offsetof(struct wasm_console_ring, tail));
	ABI(CONSOLE_RING_DATA, offsetof(struct wasm_console_ring, buf));
	ABI(CONSOLE_RING_SIZE, WASM_CONSOLE_IN_SIZE);
	ABI(STDIN_RING_HEAD, offsetof(struct wasm_stdin_ring, head));
	ABI(STDIN_RING_TAIL, offsetof(struct wasm_stdin_ring, tail));
	ABI(STDIN_RING_EOF, offsetof(struct wasm_stdin_ring, eof));
	ABI(STDIN_RING_DATA, offsetof(struct wasm_stdin_ring, buf));
	ABI(STDIN_RING_SIZE, WASM_STDIN_SIZE);
	ABI(WINSIZE_SEQ, offsetof(struct wasm_console_winsize, seq));
	ABI(WINSIZE_SIZE, offsetof(struct wasm_console_winsize, size));
	ABI(P9_DONE_HEAD, offsetof(struct wasm_p9_done_ring, head));
	ABI(P9_DONE_TAIL, offsetof(struct wasm_p9_done_ring, tail));
	ABI(P9_DONE_SLOT, offsetof(struct wasm_p9_done_ring, slot));
	ABI(P9_DONE_SLOT_SIZE, sizeof(struct wasm_p9_done));
	ABI(P9_DONE_CHAN, offsetof(struct wasm_p9_done, chan));
	ABI(P9_DONE_REQ, offsetof(struct wasm_p9_done, req));
	ABI(P9_DONE_LEN, offsetof(struct wasm_p9_done, len));
	ABI(P9_DONE_SLOTS, WASM_P9_DONE_SLOTS);
	ABI(NET_PRESENT, offsetof(struct wasm_net, present));
	ABI(NET_LINK, offsetof(struct wasm_net, link));
	ABI(NET_MTU, offsetof(struct wasm_net, mtu));
	ABI(NET_MAC, offsetof(struct wasm_net, mac));
	ABI(NET_TX, offsetof(struct wasm_net, tx));
	ABI(NET_RX, offsetof(struct wasm_net, rx));
	ABI(NET_RING_HEAD, offsetof(struct wasm_net_ring, head));
	ABI(NET_RING_TAIL, offsetof(struct wasm_net_ring, tail));
	ABI(NET_RING_CONSUMER_IDLE, offsetof(struct wasm_net_ring, consumer_idle));
	ABI(NET_RING_PRODUCER_FULL, offsetof(struct wasm_net_ring, producer_full));
	ABI(NET_RING_DATA, offsetof(struct wasm_net_ring, data));
	ABI(NET_RING_SIZE, WASM_NET_RING_SIZE);
	ABI(NET_FRAME_MAX, WASM_NET_FRAME_MAX);
	ABI(USER_PREEMPT_ADDR, WASM_USER_PREEMPT_ADDR);
	ABI(IMAGE_KEY_WORDS, WASM_IMAGE_KEY_WORDS);
	ABI(MM_LIVE_SLOTS, WASM_MM_LIVE_SLOTS);
	ABI(COMMAND_LINE_SIZE, COMMAND_LINE_SIZE);
}
