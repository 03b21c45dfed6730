// SPDX-License-Identifier: GPL-2.0
/* Busy-wait delays on the host clock. */

#include <linux/delay.h>
#include <linux/export.h>
#include <linux/processor.h>
#include <asm/host.h>

void __ndelay(unsigned long long nsecs)
{
	double end = wasm_host_clock_ns() + (double)nsecs;

	while (wasm_host_clock_ns() < end)
		cpu_relax();
}
EXPORT_SYMBOL(__ndelay);

void __delay(unsigned long loops)
{
	/* lpj_fine makes one loop a microsecond's worth of HZ ticks. */
	__ndelay((unsigned long long)loops * 1000ULL);
}
EXPORT_SYMBOL(__delay);
