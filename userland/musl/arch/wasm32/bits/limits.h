/* The kernel's page size (AT_PAGESZ); wasm memory itself grows in 64 KiB steps. */
#define PAGESIZE 4096
