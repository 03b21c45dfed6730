/*
 * Program entries.
 *
 * The host calls _start(sp) with sp pointing at argc, argv[], envp[] and
 * auxv at the top of the module's initial memory; that is also where the
 * program's own stack starts, so _start sets __stack_pointer before any C
 * code runs and then hands sp to _start_c (crt/wasm32/crt1.c).
 *
 * A clone()d child starts at __wasm_clone_entry(sp, tls) in a new instance
 * of the program on the same memory; __clone (src/thread/wasm32/clone.c)
 * left the function to run, its argument and the TLS block to use at sp,
 * and passes the thread pointer as tls. A new instance's globals are its
 * own and start at their initial values, so both are set here, before any
 * C code runs.
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

__asm__(
"	.globaltype __stack_pointer, i32\n"
"	.globaltype __wasm_tp, i32\n"
"	.functype __wasm_clone_start_c (i32) -> ()\n"
"	.section .text.__wasm_clone_entry,\"\",@\n"
"	.globl __wasm_clone_entry\n"
"	.type __wasm_clone_entry,@function\n"
"__wasm_clone_entry:\n"
"	.functype __wasm_clone_entry (i32, i32) -> ()\n"
"	local.get 0\n"
"	global.set __stack_pointer\n"
"	local.get 1\n"
"	global.set __wasm_tp\n"
"	local.get 0\n"
"	call __wasm_clone_start_c\n"
"	end_function\n"
);
