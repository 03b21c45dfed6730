/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_DELAY_H
#define _ASM_WASM_DELAY_H

/*
 * There is no cycle counter to calibrate against: delays spin on the
 * host's monotonic clock instead.
 */
void __delay(unsigned long loops);
void __ndelay(unsigned long long nsecs);

#define ndelay(n)	__ndelay(n)
#define udelay(n)	__ndelay((n) * 1000ULL)
#define mdelay(n)	__ndelay((n) * 1000000ULL)

#endif /* _ASM_WASM_DELAY_H */
