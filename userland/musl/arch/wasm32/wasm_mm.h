/*
 * The stack of a detached thread that has exited, waiting to be unmapped
 * (src/thread/wasm32/__unmapself.c, src/mman/wasm32/__wasm_mm.c). The
 * record lives in the first bytes of the mapping it describes; the kernel
 * clears tid once the thread is gone.
 */

struct __wasm_dead_stack {
	void *base;
	size_t size;
	volatile int tid;
	struct __wasm_dead_stack *next;
};

hidden void __wasm_mm_free_later(struct __wasm_dead_stack *);

/* Whether a shared anonymous mapping exists, which fork cannot copy as shared. */
hidden int __wasm_mm_shared(void);
