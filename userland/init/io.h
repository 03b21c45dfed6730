/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output helpers for programs without a C library: init and the guest
 * test and benchmark programs.
 */
#ifndef WASMLINUX_IO_H
#define WASMLINUX_IO_H

#include "sys.h"

static inline unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static inline void put_fd(int fd, const char *s)
{
	sys3(__NR_write, fd, (long)s, len(s));
}

static inline void put(const char *s)
{
	put_fd(1, s);
}

static inline void put_num_fd(int fd, long long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	buf[i] = 0;
	do {
		buf[--i] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--i] = '-';
	put_fd(fd, buf + i);
}

static inline void put_num(long long v)
{
	put_num_fd(1, v);
}

static inline void put_hex(const unsigned char *p, int n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2];

	while (n-- > 0) {
		buf[0] = digits[*p >> 4];
		buf[1] = digits[*p++ & 15];
		sys3(__NR_write, 1, (long)buf, 2);
	}
}

static inline int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

#endif
