/*
 * Program entry.
 *
 * The host calls _start(sp) with sp pointing at argc, argv[], envp[] and
 * auxv at the top of the module's initial memory; that is also where the
 * program's own stack starts, so _start sets __stack_pointer before any C
 * code runs and then hands sp to _start_c (crt/wasm32/crt1.c).
 */

__asm__(
"	.globaltype __stack_pointer, i32\n"
"	.functype " START "_c (i32) -> ()\n"
"	.section .text." START ",\"\",@\n"
"	.globl " START "\n"
"	.type " START ",@function\n"
START ":\n"
"	.functype " START " (i32) -> ()\n"
"	local.get 0\n"
"	global.set __stack_pointer\n"
"	local.get 0\n"
"	call " START "_c\n"
"	end_function\n"
);
