// SPDX-License-Identifier: GPL-2.0
/*
 * Layout markers, linked before everything else.
 *
 * wasm-ld has no linker scripts.  It gives every distinct data section name
 * its own output segment, places the segments in the order their names first
 * appear in the link, and appends inputs to a segment in link order.  This
 * object is linked first, so its zero-size markers open each segment the
 * generic linker script would have grouped, in the order that script uses,
 * and every boundary symbol lands where the kernel expects it.  The build
 * checks the result against the binary afterwards (tools/wasm/postlink.ts).
 */

#include <linux/compiler.h>
#include <asm/page.h>

#define WASM_MARK(sec, sym, align) \
	char sym[0] __used __section(sec) __aligned(align)

/* Read-only data and data: the first inputs of the merged segments. */
WASM_MARK(".rodata..wasm_first", __start_rodata, 4);
WASM_MARK(".data..wasm_first", _sdata, 4);

/* Text has no address in linear memory: these ranges are empty. */
WASM_MARK(".wasm.text", _stext, 4);
WASM_MARK(".wasm.text", _text, 4);
WASM_MARK(".wasm.text", _etext, 4);
WASM_MARK(".wasm.text", _sinittext, 4);
WASM_MARK(".wasm.text", _einittext, 4);
WASM_MARK(".wasm.text", __sched_text_start, 4);
WASM_MARK(".wasm.text", __sched_text_end, 4);
WASM_MARK(".wasm.text", __cpuidle_text_start, 4);
WASM_MARK(".wasm.text", __cpuidle_text_end, 4);
WASM_MARK(".wasm.text", __lock_text_start, 4);
WASM_MARK(".wasm.text", __lock_text_end, 4);

/*
 * Sections named like C identifiers get __start_ and __stop_ symbols from
 * wasm-ld, but only if they exist: make sure they do.
 */
WASM_MARK("__ex_table", __wasm_order_ex_table, 4);
WASM_MARK("__modver", __wasm_order_modver, 4);

WASM_MARK(".notes", __start_notes, 4);
WASM_MARK(".notes_end", __stop_notes, 4);

/* Everything free_initmem() may give back, from here to __init_end. */
WASM_MARK(".init.data", __init_begin, 4);
WASM_MARK(".init.rodata", __wasm_order_init_rodata, 4);
WASM_MARK(".init.setup", __setup_start, 4);
WASM_MARK(".init.setup_end", __setup_end, 4);

WASM_MARK(".initcallearly.init", __initcall_start, 4);
WASM_MARK(".initcall0.init", __initcall0_start, 4);
WASM_MARK(".initcall0s.init", __wasm_order_initcall0s, 4);
WASM_MARK(".initcall1.init", __initcall1_start, 4);
WASM_MARK(".initcall1s.init", __wasm_order_initcall1s, 4);
WASM_MARK(".initcall2.init", __initcall2_start, 4);
WASM_MARK(".initcall2s.init", __wasm_order_initcall2s, 4);
WASM_MARK(".initcall3.init", __initcall3_start, 4);
WASM_MARK(".initcall3s.init", __wasm_order_initcall3s, 4);
WASM_MARK(".initcall4.init", __initcall4_start, 4);
WASM_MARK(".initcall4s.init", __wasm_order_initcall4s, 4);
WASM_MARK(".initcall5.init", __initcall5_start, 4);
WASM_MARK(".initcall5s.init", __wasm_order_initcall5s, 4);
WASM_MARK(".initcallrootfs.init", __initcallrootfs_start, 4);
WASM_MARK(".initcallrootfss.init", __wasm_order_initcallrootfss, 4);
WASM_MARK(".initcall6.init", __initcall6_start, 4);
WASM_MARK(".initcall6s.init", __wasm_order_initcall6s, 4);
WASM_MARK(".initcall7.init", __initcall7_start, 4);
WASM_MARK(".initcall7s.init", __wasm_order_initcall7s, 4);
WASM_MARK(".initcall_end", __initcall_end, 4);

WASM_MARK(".con_initcall.init", __con_initcall_start, 4);
WASM_MARK(".con_initcall_end", __con_initcall_end, 4);

WASM_MARK(".init.ramfs", __wasm_order_init_ramfs, 4);
WASM_MARK(".init.ramfs.info", __wasm_order_init_ramfs_info, 4);
WASM_MARK(".init_end", __init_end, 4);

/*
 * The per-CPU template (asm/percpu.h), in the order of the generic linker
 * script.  setup_per_cpu_areas() copies it for every CPU; it must start on
 * a page, since page-aligned per-CPU variables keep their offset from it.
 */
WASM_MARK("percpu..first", __per_cpu_load, PAGE_SIZE);
WASM_MARK("percpu..first", __per_cpu_start, PAGE_SIZE);
WASM_MARK("percpu..page_aligned", __wasm_order_percpu_page_aligned, PAGE_SIZE);
WASM_MARK("percpu..read_mostly", __wasm_order_percpu_read_mostly, 64);
WASM_MARK("percpu", __wasm_order_percpu, 64);
WASM_MARK("percpu..shared_aligned", __wasm_order_percpu_shared_aligned, 64);
WASM_MARK("percpu_end", __per_cpu_end, 4);

/*
 * Scheduling classes, highest priority first: the scheduler walks them as
 * one array between these two symbols.
 */
WASM_MARK("__stop_sched_class", __sched_class_highest, 4);
WASM_MARK("__dl_sched_class", __wasm_order_dl_sched_class, 4);
WASM_MARK("__rt_sched_class", __wasm_order_rt_sched_class, 4);
WASM_MARK("__fair_sched_class", __wasm_order_fair_sched_class, 4);
WASM_MARK("__ext_sched_class", __wasm_order_ext_sched_class, 4);
WASM_MARK("__idle_sched_class", __wasm_order_idle_sched_class, 4);
WASM_MARK("__sched_class_end", __sched_class_lowest, 4);

/* Zero-initialised data starts here. */
WASM_MARK(".bss..wasm_first", __bss_start, 4);
