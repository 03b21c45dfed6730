/*
 * Used when the program's main takes arguments (see crt/wasm32/crt1.c). A
 * main(void) defines __main_void itself, and then this is never linked.
 */

#include "libc.h"

extern hidden int __wasm_argc;
extern hidden char **__wasm_argv;

int __main_argc_argv(int, char **);

weak int __main_void(void)
{
	return __main_argc_argv(__wasm_argc, __wasm_argv);
}
