# Program entry for wasmlinux user programs without a C library.
#
# The kernel lays out argc, argv, envp and auxv at the top of the program's
# memory and the host calls _start with a pointer to argc. That place is also
# where the program's own stack grows down from.

	.globaltype __stack_pointer, i32
	.functype __wasm_start_c (i32) -> ()

	.section .text._start,"",@
	.globl _start
	.type _start,@function
_start:
	.functype _start (i32) -> ()
	local.get 0
	global.set __stack_pointer
	local.get 0
	call __wasm_start_c
	end_function
