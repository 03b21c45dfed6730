/*
 * Room for a future setjmp/longjmp built on wasm exception handling; today
 * setjmp/longjmp are stubs (see src/setjmp/wasm32/).
 */
typedef unsigned long long __jmp_buf[8];
