// SPDX-License-Identifier: GPL-2.0
/*
 * Memory: one flat zone over the kernel's linear memory.  Addresses are
 * offsets into that memory, so physical and virtual addresses coincide.
 */

#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <asm/page.h>
#include <asm/sections.h>
#include <asm/wasm.h>

void *empty_zero_page;
EXPORT_SYMBOL(empty_zero_page);

void __init paging_init(void)
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };

	empty_zero_page = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!empty_zero_page)
		panic("wasm: no memory for the zero page\n");

	max_zone_pfn[ZONE_NORMAL] = max_low_pfn;
	free_area_init(max_zone_pfn);
}

void __init mem_init(void)
{
	memblock_free_all();
}

void free_initmem(void)
{
	free_initmem_default(-1);
}
