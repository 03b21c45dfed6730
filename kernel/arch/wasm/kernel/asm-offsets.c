// SPDX-License-Identifier: GPL-2.0
/* No assembly needs structure offsets; kbuild still wants the file. */

#include <linux/kbuild.h>
#include <linux/sched.h>

void foo(void);

void foo(void)
{
	DEFINE(THREAD_RUN, offsetof(struct task_struct, thread.run));
}
