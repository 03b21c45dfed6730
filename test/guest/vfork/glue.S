# Low-level helpers for the asyncify vfork prototype (wasm assembly; see
# docs/vfork.md).
	.globaltype __stack_pointer, i32
	.globaltype __tls_base, i32
	.functype __vfork_child (i32) -> ()

# The host calls __wasm_clone_entry(sp, tls) in a fresh instance of this
# program on the same memory. For vfork, sp points at the child's copy of
# the asyncify data; tls is the parent's __tls_base.
	.section .text.__wasm_clone_entry,"",@
	.globl __wasm_clone_entry
	.type __wasm_clone_entry,@function
__wasm_clone_entry:
	.functype __wasm_clone_entry (i32, i32) -> ()
	local.get 0
	global.set __stack_pointer
#ifndef NO_TLS_SET
	local.get 1
	global.set __tls_base
#endif
	local.get 0
	call __vfork_child
	end_function

	.section .text.__vfork_get_sp,"",@
	.globl __vfork_get_sp
	.type __vfork_get_sp,@function
__vfork_get_sp:
	.functype __vfork_get_sp () -> (i32)
	global.get __stack_pointer
	end_function

	.section .text.__vfork_set_sp,"",@
	.globl __vfork_set_sp
	.type __vfork_set_sp,@function
__vfork_set_sp:
	.functype __vfork_set_sp (i32) -> ()
	local.get 0
	global.set __stack_pointer
	end_function

	.section .text.__vfork_get_tls,"",@
	.globl __vfork_get_tls
	.type __vfork_get_tls,@function
__vfork_get_tls:
	.functype __vfork_get_tls () -> (i32)
	global.get __tls_base
	end_function
