/*
 * brk, mmap and friends for wasm32, in user space.
 *
 * A wasmlinux process's memory is its module's linear memory, which only the
 * process itself can grow (memory.grow) and which the NOMMU kernel cannot
 * map anything into. So syscall_arch.h sends SYS_brk, SYS_mmap2, SYS_munmap,
 * SYS_mremap, SYS_madvise, SYS_mprotect and SYS_msync here instead of to the
 * kernel, and this file manages the memory above the module's initial size
 * (the initial memory holds the data, the stack, and the arguments at its
 * top) in 4 KiB pages:
 *
 *   [base, top)  pages handed out (mappings, the brk area) or free
 *   [top, ...)   never handed out: zero, grown with memory.grow on demand
 *
 * The first brk call puts the brk area at top and keeps BRK_RESERVE bytes of
 * address space above it for the area to grow into (the memory itself is
 * only grown as brk grows); beyond that it grows only into free pages.
 * malloc does not use brk (see patches/), so brk and sbrk are the program's.
 *
 * Free pages below top are kept in an address-ordered list of runs, each run
 * described by a header in its own first bytes. Free memory is always zero
 * apart from those headers (munmap zeroes what it frees), so a new anonymous
 * mapping is zero as it must be without zeroing it again. wasm memory never
 * shrinks: unmapped pages are reused, not returned to the host.
 *
 * Private file mappings are copies read with pread; shared writable file
 * mappings cannot be emulated and fail with ENODEV. Protection is not
 * enforced (mprotect and msync succeed and do nothing).
 *
 * A shared anonymous mapping is shared by the process's threads, which
 * share its memory, but a fork child gets a copy of the memory, where the
 * mapping would silently stop being shared. So the ranges of such mappings
 * are recorded, and fork fails with ENOMEM while any is mapped
 * (__wasm_mm_shared; vfork.c).
 *
 * Threads share the memory and call this at the same time: one lock
 * guards the state, and nothing is done outside it but reading a file
 * into a mapping already taken. The lock is musl's internal one: a signal
 * handler that maps memory while its thread is in here (handlers run at
 * the preemption polls in these loops too) would wait for itself, as one
 * calling malloc inside malloc would.
 *
 * A detached thread cannot unmap its own stack as it exits; it leaves a
 * record (__wasm_mm_free_later) and the next call here unmaps the stacks
 * of the threads the kernel has since reported gone.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include "kernel-auxvec.h"
#include "syscall.h"
#include "lock.h"
#include "atomic.h"
#include "wasm_mm.h"

#define PG 4096UL
#define WASM_PAGE 65536UL
/* Keep the last wasm page out of reach so that addresses never wrap. */
#define LIMIT 0xffff0000UL
#define BRK_RESERVE (32UL << 20)

struct run {
	uintptr_t size;
	struct run *next;
};

static uintptr_t base, top;
static struct run *runs;
/* The brk area is [brk_start, brk_cur); [brk_start, brk_end) is kept for it. */
static uintptr_t brk_start, brk_cur, brk_end;
static volatile int lock[1];
/* Stacks of exited detached threads, pushed without the lock. */
static struct __wasm_dead_stack *volatile dead;
/* Shared anonymous mappings: [a, b) each; more fail at mmap with ENOMEM. */
#define SHARED_MAX 32
static struct { uintptr_t a, b; } shared[SHARED_MAX];
static int nshared;

static uintptr_t round_up(uintptr_t x)
{
	return (x + PG - 1) & -PG;
}

/*
 * Ours is what lies above the memory the program was started with; the
 * kernel says where that ends (AT_WASM_MEMTOP), since the memory itself may
 * be larger: the host reuses the memories of processes that are gone, and
 * such a memory is zero above that point, as free memory must be here.
 */
static void init(void)
{
	uintptr_t end;

	if (base) return;
	end = getauxval(AT_WASM_MEMTOP);
	if (!end) end = __builtin_wasm_memory_size(0) * WASM_PAGE;
	base = top = end > LIMIT ? LIMIT : end;
}

/* The end of the memory as it is now. */
static uintptr_t mem_end(void)
{
	size_t pages = __builtin_wasm_memory_size(0);

	return pages * WASM_PAGE > LIMIT ? LIMIT : pages * WASM_PAGE;
}

/* Make the memory reach at least `end`. */
static int reach(uintptr_t end)
{
	uintptr_t have = mem_end();

	if (end <= have) return 0;
	if (end > LIMIT) return -ENOMEM;
	if (__builtin_wasm_memory_grow(0, (end - have + WASM_PAGE - 1) / WASM_PAGE)
	    == (size_t)-1)
		return -ENOMEM;
	return 0;
}

/* Whether every page of [a, b) is free (in a run, or at or above top). */
static int is_free(uintptr_t a, uintptr_t b)
{
	struct run *r;

	for (r = runs; r && a < b && a < top; r = r->next) {
		uintptr_t s = (uintptr_t)r, e = s + r->size;
		if (e <= a) continue;
		if (s > a) return 0;
		a = e;
	}
	return a >= b || a >= top;
}

/* Zero the pages of [a, b) that are in use; free ones are zero already. */
static void zero_used(uintptr_t a, uintptr_t b)
{
	struct run *r;

	if (b > top) b = top;
	/* The brk reserve may be below top but not grown yet: that part is zero. */
	if (b > mem_end()) b = mem_end();
	for (r = runs; r && a < b; r = r->next) {
		uintptr_t s = (uintptr_t)r, e = s + r->size;
		if (e <= a) continue;
		if (s >= b) break;
		if (s > a) memset((void *)a, 0, s - a);
		a = e;
	}
	if (a < b) memset((void *)a, 0, b - a);
}

static void put_run(struct run **at, uintptr_t a, uintptr_t size)
{
	struct run *r = (struct run *)a;

	r->size = size;
	r->next = *at;
	*at = r;
}

/*
 * Take [a, b) out of the free runs (parts of it may be free, parts in use).
 * Afterwards the pages are in use; the free ones among them are zero.
 */
static int take(uintptr_t a, uintptr_t b)
{
	struct run **pp = &runs, *r;

	if (b > top) {
		int err = reach(b);
		if (err) return err;
		/* A gap between top and a becomes free. */
		if (a > top) {
			uintptr_t gap = top;
			top = b;
			while (*pp) pp = &(*pp)->next;
			put_run(pp, gap, a - gap);
			return 0;
		}
		top = b;
	}
	while ((r = *pp)) {
		uintptr_t s = (uintptr_t)r, e = s + r->size;
		struct run *next = r->next;
		if (e <= a) {
			pp = &r->next;
			continue;
		}
		if (s >= b) break;
		memset(r, 0, sizeof *r);
		*pp = next;
		if (e > b) put_run(pp, b, e - b);
		if (s < a) {
			put_run(pp, s, a - s);
			pp = &(*pp)->next;
		}
	}
	return 0;
}

/*
 * [a, b) is no longer (part of) a shared mapping. A range cut in two needs
 * a second slot; without one it is kept whole, which only keeps fork
 * refused.
 */
static void unshare(uintptr_t a, uintptr_t b)
{
	for (int i = 0; i < nshared; i++) {
		uintptr_t s = shared[i].a, e = shared[i].b;

		if (e <= a || s >= b)
			continue;
		if (s < a && e > b) {
			if (nshared == SHARED_MAX)
				continue;
			shared[nshared].a = b;
			shared[nshared++].b = e;
			shared[i].b = a;
		} else if (s < a) {
			shared[i].b = a;
		} else if (e > b) {
			shared[i].a = b;
		} else {
			shared[i--] = shared[--nshared];
		}
	}
}

static int is_shared(uintptr_t a, uintptr_t b)
{
	for (int i = 0; i < nshared; i++)
		if (shared[i].a < b && shared[i].b > a)
			return 1;
	return 0;
}

hidden int __wasm_mm_shared(void)
{
	int n;

	LOCK(lock);
	n = nshared;
	UNLOCK(lock);
	return n > 0;
}

/* Free [a, b): zero it and merge it into the runs. */
static void release(uintptr_t a, uintptr_t b)
{
	struct run **pp = &runs, *r;
	uintptr_t lo = a, hi = b;

	if (a < base) a = lo = base;
	if (b > top) b = hi = top;
	/* Not-yet-grown pages of the brk reserve: nothing to free there. */
	if (b > mem_end()) b = hi = mem_end();
	if (a >= b) return;
	unshare(a, b);
	zero_used(a, b);
	/* Unlink the runs that overlap or touch [a, b) and merge them. */
	while ((r = *pp)) {
		uintptr_t s = (uintptr_t)r, e = s + r->size;
		if (e < a) {
			pp = &r->next;
			continue;
		}
		if (s > b) break;
		if (s < lo) lo = s;
		if (e > hi) hi = e;
		*pp = r->next;
		memset(r, 0, sizeof *r);
	}
	if (hi == top) {
		/* Free memory at the end: it is zero, so it simply is untouched again. */
		top = lo;
		return;
	}
	put_run(pp, lo, hi - lo);
}

/* Find len bytes (a multiple of PG): first fit in the runs, else at the top. */
static uintptr_t find(uintptr_t len)
{
	struct run *r;

	for (r = runs; r; r = r->next)
		if (r->size >= len) return (uintptr_t)r;
	if (top + len < top || top + len > LIMIT) return 0;
	return top;
}

void __wasm_mm_free_later(struct __wasm_dead_stack *d)
{
	struct __wasm_dead_stack *head;

	do {
		head = dead;
		d->next = head;
	} while (a_cas_p(&dead, head, d) != head);
}

/* Unmap the stacks whose threads the kernel has reported gone (tid 0). */
static void reap(void)
{
	struct __wasm_dead_stack *d, *next;

	if (!dead) return;
	d = __atomic_exchange_n(&dead, 0, __ATOMIC_SEQ_CST);
	for (; d; d = next) {
		next = d->next;
		if (__atomic_load_n(&d->tid, __ATOMIC_SEQ_CST)) {
			__wasm_mm_free_later(d);
			continue;
		}
		release((uintptr_t)d->base, (uintptr_t)d->base + d->size);
	}
}

static long do_mmap(uintptr_t addr, uintptr_t len, int prot, int flags,
                    int fd, unsigned long long off)
{
	uintptr_t a, b;
	int err;

	len = round_up(len);
	if (!len || len > LIMIT) return -ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PG - 1)) return -EINVAL;
		if (addr < base || addr + len < addr || addr + len > LIMIT)
			return flags & MAP_FIXED ? -EINVAL : -ENOMEM;
		if (!(flags & MAP_FIXED) && !is_free(addr, addr + len))
			return -EEXIST;
		a = addr;
	} else {
		a = find(len);
		if (!a) return -ENOMEM;
	}
	b = a + len;
	if (!(flags & MAP_ANONYMOUS) && (flags & MAP_SHARED) && (prot & PROT_WRITE))
		return -ENODEV;
	if ((flags & MAP_ANONYMOUS) && (flags & MAP_SHARED) && nshared == SHARED_MAX)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		unshare(a, b);
		zero_used(a, b);
	}
	err = take(a, b);
	if (err) return err;
	if ((flags & MAP_ANONYMOUS) && (flags & MAP_SHARED)) {
		shared[nshared].a = a;
		shared[nshared++].b = b;
	}
	if (!(flags & MAP_ANONYMOUS)) {
		/*
		 * A private copy of the file; past its end the pages stay zero.
		 * The pages are ours now: read without the lock, which a system
		 * call (and the signal handlers it may run) must not hold.
		 */
		uintptr_t done = 0;
		UNLOCK(lock);
		while (done < len) {
			long n = __wasm_kernel_call(SYS_pread64, fd, a + done,
			                            len - done, off + done, 0, 0);
			if (n < 0) {
				LOCK(lock);
				release(a, b);
				return n;
			}
			if (!n) break;
			done += n;
		}
		LOCK(lock);
	}
	return a;
}

static long do_brk(uintptr_t want)
{
	uintptr_t cur, end;

	if (!brk_start) {
		brk_start = brk_cur = top;
		brk_end = top + BRK_RESERVE > LIMIT ? LIMIT : top + BRK_RESERVE;
		top = brk_end;
	}
	if (want < brk_start || want > LIMIT) return brk_cur;
	cur = round_up(brk_cur);
	end = round_up(want);
	if (end > brk_end) {
		/* Past the reserve: only into free pages, which then join it. */
		if (!is_free(brk_end, end) || take(brk_end, end)) return brk_cur;
		brk_end = end;
	}
	if (end > cur) {
		if (reach(end)) return brk_cur;
	} else if (end < cur) {
		/* Shrinking: the pages stay reserved for brk, zero as new ones. */
		zero_used(end, cur);
	}
	brk_cur = want;
	return brk_cur;
}

static long do_mremap(uintptr_t old, uintptr_t old_len, uintptr_t new_len,
                      int flags)
{
	uintptr_t a;
	int sh;

	if (old & (PG - 1)) return -EINVAL;
	old_len = round_up(old_len);
	new_len = round_up(new_len);
	if (!new_len || new_len > LIMIT || (flags & ~MREMAP_MAYMOVE))
		return -EINVAL;
	if (old < base || old + old_len < old || old + old_len > top)
		return -EFAULT;
	if (new_len <= old_len) {
		release(old + new_len, old + old_len);
		return old;
	}
	if (old + new_len > old && old + new_len <= LIMIT
	    && is_free(old + old_len, old + new_len)
	    && !take(old + old_len, old + new_len))
		return old;
	if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
	/* A shared mapping that moves stays shared (recorded whole). */
	sh = is_shared(old, old + old_len);
	if (sh && nshared == SHARED_MAX) return -ENOMEM;
	a = find(new_len);
	if (!a || take(a, a + new_len)) return -ENOMEM;
	memcpy((void *)a, (void *)old, old_len);
	if (sh) {
		shared[nshared].a = a;
		shared[nshared++].b = a + new_len;
	}
	release(old, old + old_len);
	return a;
}

static long mm_call(long n, long long a, long long b, long long c,
                    long long d, long long e, long long f)
{
	uintptr_t addr = (uintptr_t)a, len = (uintptr_t)b;

	init();
	reap();
	switch (n) {
	case SYS_brk:
		return do_brk(addr);
	case SYS_mmap2:
		return do_mmap(addr, len, c, d, e, (unsigned long long)(unsigned long)f * PG);
	case SYS_munmap:
		if ((addr & (PG - 1)) || !len) return -EINVAL;
		if (addr + round_up(len) < addr) return -EINVAL;
		release(addr, addr + round_up(len));
		return 0;
	case SYS_mremap:
		return do_mremap(addr, len, (uintptr_t)c, d);
	case SYS_madvise:
		if (addr & (PG - 1)) return -EINVAL;
		if (c == MADV_DONTNEED && addr + round_up(len) >= addr)
			zero_used(addr < base ? base : addr, addr + round_up(len));
		return 0;
	case SYS_mprotect:
	case SYS_msync:
		if (addr & (PG - 1)) return -EINVAL;
		return 0;
	}
	return -ENOSYS;
}

hidden long __wasm_mm_syscall(long n, long long a, long long b, long long c,
                              long long d, long long e, long long f)
{
	long r;

	LOCK(lock);
	r = mm_call(n, a, b, c, d, e, f);
	UNLOCK(lock);
	return r;
}
