// SPDX-License-Identifier: GPL-2.0
/*
 * No assembly needs structure offsets; kbuild still wants the file.  It
 * also checks the pt_regs layout the host relies on.
 */

#include <linux/kbuild.h>
#include <linux/sched.h>

void foo(void);

void foo(void)
{
	/* The host hard-codes these; stop the build if they drift. */
	BUILD_BUG_ON(offsetof(struct pt_regs, syscall_nr) != PT_REGS_OFF_SYSCALL_NR);
	BUILD_BUG_ON(offsetof(struct pt_regs, sp) != PT_REGS_OFF_SP);
	BUILD_BUG_ON(offsetof(struct pt_regs, pc) != PT_REGS_OFF_PC);
	BUILD_BUG_ON(offsetof(struct pt_regs, tls) != PT_REGS_OFF_TLS);
}
