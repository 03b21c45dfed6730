/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_PAGE_H
#define _ASM_WASM_PAGE_H

#include <linux/const.h>

#define PAGE_SHIFT	CONFIG_PAGE_SHIFT
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/*
 * Kernel "physical" addresses are offsets into the shared linear memory,
 * and so are kernel virtual addresses: the two are the same.
 */
#define PAGE_OFFSET	_AC(0, UL)

#ifndef __ASSEMBLY__

#include <linux/pfn.h>

#define clear_page(page)	memset((page), 0, PAGE_SIZE)
#define copy_page(to, from)	memcpy((to), (from), PAGE_SIZE)
#define clear_user_page(page, vaddr, pg)	clear_page(page)
#define copy_user_page(to, from, vaddr, pg)	copy_page(to, from)

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { unsigned long pgprot; } pgprot_t;
typedef struct page *pgtable_t;

#define pte_val(x)	((x).pte)
#define pgd_val(x)	((x).pgd)
#define pgprot_val(x)	((x).pgprot)
#define __pte(x)	((pte_t) { (x) })
#define __pgd(x)	((pgd_t) { (x) })
#define __pgprot(x)	((pgprot_t) { (x) })

extern unsigned long memory_start;
extern unsigned long memory_end;

#define __pa(x)		((unsigned long)(x))
#define __va(x)		((void *)((unsigned long)(x)))

#define ARCH_PFN_OFFSET		(0UL)

static inline unsigned long virt_to_pfn(const void *kaddr)
{
	return __pa(kaddr) >> PAGE_SHIFT;
}

#define pfn_to_virt(pfn)	__va((pfn) << PAGE_SHIFT)
#define virt_addr_valid(kaddr)	\
	(((unsigned long)(kaddr) >= PAGE_SIZE) && \
	 ((unsigned long)(kaddr) < memory_end))

#define virt_to_page(addr)	pfn_to_page(virt_to_pfn(addr))
#define page_to_virt(page)	pfn_to_virt(page_to_pfn(page))
#define page_to_phys(page)	((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)

#include <asm-generic/memory_model.h>
#include <asm-generic/getorder.h>

#endif /* !__ASSEMBLY__ */

#endif /* _ASM_WASM_PAGE_H */
