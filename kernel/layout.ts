// What the generic linker script would have guaranteed, restated for the
// post-link check (tools/wasm/postlink.ts). arch/wasm/kernel/head.c places the
// markers; this says where they must have landed. A kernel whose layout
// breaks any of these is rejected at build time.

import type { PostlinkSpec } from '../tools/wasm/postlink.js';
import type { RegionSpec } from '../tools/wasm/layout.js';
import { KERNEL_EXPORT_FUNCTIONS, KERNEL_SYMBOLS } from '../src/core/abi.js';

const INITCALL_LEVELS = ['0', '1', '2', '3', '4', '5', 'rootfs', '6', '7'];

const initcallSegments = [
	'.initcallearly.init',
	...INITCALL_LEVELS.flatMap((l) => [`.initcall${l}.init`, `.initcall${l}s.init`]),
];

const initcallMarkers: Record<string, string> = { __initcall_start: '.initcallearly.init' };
for (const l of INITCALL_LEVELS) initcallMarkers[`__initcall${l}_start`] = `.initcall${l}.init`;

const regions: RegionSpec[] = [
	{
		name: 'initcalls',
		start: '__initcall_start',
		end: '__initcall_end',
		segments: initcallSegments,
		markers: initcallMarkers,
	},
	{
		name: 'setup',
		start: '__setup_start',
		end: '__setup_end',
		segments: ['.init.setup'],
	},
	{
		name: 'con_initcalls',
		start: '__con_initcall_start',
		end: '__con_initcall_end',
		segments: ['.con_initcall.init'],
	},
	{
		name: 'init',
		start: '__init_begin',
		end: '__init_end',
		segments: [
			'.init.data',
			'.init.rodata',
			'.init.setup',
			'.init.setup_end',
			...initcallSegments,
			'.initcall_end',
			'.con_initcall.init',
			'.con_initcall_end',
			'.init.ramfs',
			'.init.ramfs.info',
		],
	},
	{
		name: 'sched_classes',
		start: '__sched_class_highest',
		end: '__sched_class_lowest',
		segments: [
			'__stop_sched_class',
			'__dl_sched_class',
			'__rt_sched_class',
			'__fair_sched_class',
			'__ext_sched_class',
			'__idle_sched_class',
		],
	},
	{ name: 'rodata', start: '__start_rodata', end: '__end_rodata', segments: ['.rodata'] },
	{ name: 'data', start: '_sdata', end: '_edata', segments: ['.data'] },
	{ name: 'bss', start: '__bss_start', end: '__bss_stop', segments: ['.bss'] },
];

export const KERNEL_LAYOUT: PostlinkSpec = {
	regions,
	requiredExports: ['__stack_pointer', ...KERNEL_EXPORT_FUNCTIONS, ...KERNEL_SYMBOLS],
	requiredImports: ['env.memory'],
};
