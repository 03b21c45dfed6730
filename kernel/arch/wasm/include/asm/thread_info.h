/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_THREAD_INFO_H
#define _ASM_WASM_THREAD_INFO_H

/*
 * No <asm/page.h> here: asm/irqflags.h reads thread_info, and page.h needs
 * bitops, which need irqflags.  THREAD_SIZE is expanded where PAGE_SIZE is
 * known.
 */
#include <linux/const.h>

/*
 * A task's kernel stack is the shadow stack of its own vmlinux instance:
 * only address-taken locals live there; there is no guard page, so be
 * generous: 16 KiB, with the
 * pt_regs block sits at its top.
 */
#define THREAD_SIZE_ORDER	2
#define THREAD_SIZE		(PAGE_SIZE << THREAD_SIZE_ORDER)

#ifndef __ASSEMBLY__

struct thread_info {
	unsigned long		flags;
	int			preempt_count;
	unsigned long		syscall_work;
	unsigned int		cpu;		/* the CPU this task holds or last held */
};

#define INIT_THREAD_INFO(tsk)			\
{						\
	.flags		= 0,			\
	.preempt_count	= INIT_PREEMPT_COUNT,	\
}

#endif /* !__ASSEMBLY__ */

#define TIF_SYSCALL_TRACE	0
#define TIF_SIGPENDING		1
#define TIF_NEED_RESCHED	2
#define TIF_NOTIFY_RESUME	3
#define TIF_RESTORE_SIGMASK	4
#define TIF_NOTIFY_SIGNAL	5
#define TIF_MEMDIE		6
#define TIF_POLLING_NRFLAG	7
#define TIF_WASM_EXEC		8	/* execve() replaced the user program */

#define _TIF_SYSCALL_TRACE	(1 << TIF_SYSCALL_TRACE)
#define _TIF_SIGPENDING		(1 << TIF_SIGPENDING)
#define _TIF_NEED_RESCHED	(1 << TIF_NEED_RESCHED)
#define _TIF_NOTIFY_RESUME	(1 << TIF_NOTIFY_RESUME)
#define _TIF_RESTORE_SIGMASK	(1 << TIF_RESTORE_SIGMASK)
#define _TIF_NOTIFY_SIGNAL	(1 << TIF_NOTIFY_SIGNAL)
#define _TIF_POLLING_NRFLAG	(1 << TIF_POLLING_NRFLAG)

#define _TIF_WORK_MASK		(_TIF_SIGPENDING | _TIF_NEED_RESCHED | \
				 _TIF_NOTIFY_RESUME | _TIF_NOTIFY_SIGNAL)

#endif /* _ASM_WASM_THREAD_INFO_H */
