/* wasm user code has no registers a tracer could see. */
#undef __WORDSIZE
#define __WORDSIZE 32
