// SPDX-License-Identifier: GPL-2.0
/*
 * Boot.
 *
 * The host instantiates vmlinux.wasm on the shared memory (which runs the
 * data segment initialisation once), points the boot instance's stack at
 * init_stack, writes the command line into wasm_boot_cmdline and, if there
 * is one, copies the initramfs to the top of memory and records it in
 * wasm_initrd_start/size.  Then it calls wasm_start_kernel().
 */

#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/start_kernel.h>
#include <linux/string.h>
#include <asm/host.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <asm/wasm.h>

/* End of the image as wasm-ld lays it out: free memory starts after it. */
extern char __heap_base[];

unsigned long memory_start;
unsigned long memory_end;

char wasm_boot_cmdline[COMMAND_LINE_SIZE] __aligned(4);
unsigned long wasm_initrd_start;
unsigned long wasm_initrd_size;

static void __init wasm_setup_memory(void)
{
	memory_start = PAGE_ALIGN((unsigned long)__heap_base);
	memory_end = __builtin_wasm_memory_size(0) * 65536UL;

	/* mem_map covers everything from 0, the image included. */
	memblock_add(0, memory_end);
	memblock_reserve(0, memory_start);

	min_low_pfn = PFN_UP(memory_start);
	max_low_pfn = PFN_DOWN(memory_end);
	max_pfn = max_low_pfn;
	high_memory = (void *)memory_end;

	pr_info("wasm: %lu MiB of memory, kernel image %lu KiB\n",
		memory_end >> 20, memory_start >> 10);
}

static void __init wasm_setup_initrd(void)
{
#ifdef CONFIG_BLK_DEV_INITRD
	if (!wasm_initrd_size)
		return;
	if (wasm_initrd_start < memory_start ||
	    wasm_initrd_start + wasm_initrd_size > memory_end) {
		pr_err("wasm: initrd at %#lx+%#lx is outside memory\n",
		       wasm_initrd_start, wasm_initrd_size);
		return;
	}
	memblock_reserve(wasm_initrd_start, wasm_initrd_size);
	initrd_start = wasm_initrd_start;
	initrd_end = wasm_initrd_start + wasm_initrd_size;
#endif
}

static int wasm_cpuinfo_show(struct seq_file *m, void *v)
{
	seq_printf(m, "processor\t: %lu\n", (unsigned long)v - 1);
	seq_puts(m, "model name\t: WebAssembly\n\n");
	return 0;
}

/* One record per online CPU; v is the CPU number plus one. */
static void *wasm_cpuinfo_start(struct seq_file *m, loff_t *pos)
{
	unsigned int cpu = cpumask_next(*pos - 1, cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		return NULL;
	*pos = cpu;
	return (void *)(unsigned long)(cpu + 1);
}

static void *wasm_cpuinfo_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return wasm_cpuinfo_start(m, pos);
}

static void wasm_cpuinfo_stop(struct seq_file *m, void *v)
{
}

const struct seq_operations cpuinfo_op = {
	.start	= wasm_cpuinfo_start,
	.next	= wasm_cpuinfo_next,
	.stop	= wasm_cpuinfo_stop,
	.show	= wasm_cpuinfo_show,
};

static int wasm_panic_event(struct notifier_block *nb, unsigned long event,
			    void *msg)
{
	wasm_host_halt(WASM_HALT_PANIC, msg);
}

static struct notifier_block wasm_panic_block = {
	.notifier_call = wasm_panic_event,
	.priority = INT_MIN,
};

void __init setup_arch(char **cmdline_p)
{
	/* The built-in parameters first: the host's may override them. */
	strscpy(boot_command_line, CONFIG_CMDLINE, COMMAND_LINE_SIZE);
	if (boot_command_line[0] && wasm_boot_cmdline[0])
		strlcat(boot_command_line, " ", COMMAND_LINE_SIZE);
	strlcat(boot_command_line, wasm_boot_cmdline, COMMAND_LINE_SIZE);
	*cmdline_p = boot_command_line;
	/* loglevel= and quiet must apply before the console replays the log. */
	parse_early_param();
	wasm_console_init();

	wasm_smp_init_cpus();
	wasm_setup_memory();
	wasm_setup_initrd();
	paging_init();

	atomic_notifier_chain_register(&panic_notifier_list,
				       &wasm_panic_block);
}

__attribute__((export_name("wasm_start_kernel")))
void wasm_start_kernel(void)
{
	start_kernel();
}
