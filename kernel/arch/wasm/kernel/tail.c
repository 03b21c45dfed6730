// SPDX-License-Identifier: GPL-2.0
/*
 * End markers, linked after everything else: each is the last input of the
 * merged segment it closes (see head.c).
 */

#include <linux/compiler.h>

#define WASM_MARK(sec, sym) \
	char sym[0] __used __section(sec) __aligned(1)

WASM_MARK(".rodata..wasm_last", __end_rodata);
WASM_MARK(".data..wasm_last", _edata);
WASM_MARK(".bss..wasm_last", __bss_stop);
WASM_MARK(".bss..wasm_last", _end);
