// SPDX-License-Identifier: GPL-2.0
/*
 * 128-bit multiplication, which LLVM calls for 64-bit division by a
 * constant on wasm32 (there is no 64-bit multiply-high instruction).
 * Written with 32x32->64 products so it cannot call itself.
 */

#include <linux/types.h>

typedef __int128 ti_t;

ti_t __multi3(ti_t a, ti_t b);

static inline u64 mul_hi_lo(u64 a, u64 b, u64 *hi)
{
	u64 a_lo = (u32)a, a_hi = a >> 32, b_lo = (u32)b, b_hi = b >> 32;
	u64 p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo;
	u64 p3 = a_hi * b_hi;
	u64 mid = (p0 >> 32) + (u32)p1 + (u32)p2;

	*hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	return (mid << 32) | (u32)p0;
}

ti_t __multi3(ti_t a, ti_t b)
{
	u64 a_lo = (u64)a, a_hi = (u64)((unsigned __int128)a >> 64);
	u64 b_lo = (u64)b, b_hi = (u64)((unsigned __int128)b >> 64);
	u64 hi, lo = mul_hi_lo(a_lo, b_lo, &hi);

	hi += a_lo * b_hi + a_hi * b_lo;
	return (ti_t)(((unsigned __int128)hi << 64) | lo);
}
