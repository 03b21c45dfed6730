# Where a clone()d child of a program starts: the host calls
# __wasm_clone_entry(sp, tls) in a new instance of the program that shares
# the parent's memory. Set the stack and the TLS block (wasm-ld sets
# __tls_base only in the instance that initialised memory), then run the
# child's C code.

	.globaltype __stack_pointer, i32
	.globaltype __tls_base, i32
	.functype clone_child_main () -> ()

	.section .text.__wasm_clone_entry,"",@
	.globl __wasm_clone_entry
	.type __wasm_clone_entry,@function
__wasm_clone_entry:
	.functype __wasm_clone_entry (i32, i32) -> ()
	local.get 0
	global.set __stack_pointer
	local.get 1
	global.set __tls_base
	call clone_child_main
	end_function
