/*
 * setjmp records the call site and the invocation of the function that
 * made it (src/setjmp/wasm32/setjmp.c); the rest is spare.
 */
typedef unsigned long long __jmp_buf[8];
