/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_ELF_H
#define _ASM_WASM_ELF_H

/*
 * Programs are wasm modules, not ELF files; these definitions exist for
 * the generic code that describes processes in ELF terms (auxv, cores).
 */
#include <linux/elf-em.h>

#define ELF_CLASS	ELFCLASS32
#define ELF_DATA	ELFDATA2LSB
#define ELF_ARCH	EM_NONE

#define elf_check_arch(x)	(0)

#define ELF_EXEC_PAGESIZE	PAGE_SIZE
#define ELF_HWCAP		(0)
#define ELF_PLATFORM		(NULL)
#define ELF_ET_DYN_BASE		(0)

typedef unsigned long elf_greg_t;
#define ELF_NGREG	1
typedef elf_greg_t elf_gregset_t[ELF_NGREG];
typedef struct { } elf_fpregset_t;

#endif /* _ASM_WASM_ELF_H */
