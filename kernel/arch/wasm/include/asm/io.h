/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_IO_H
#define _ASM_WASM_IO_H

/*
 * There is no port I/O.  Its window lies past the largest kernel memory,
 * so any inb()/outb() traps instead of touching kernel data.
 */
#define PCI_IOBASE	((void __iomem *)0xfffff000UL)
#define IO_SPACE_LIMIT	0

#include <asm-generic/io.h>

#endif /* _ASM_WASM_IO_H */
