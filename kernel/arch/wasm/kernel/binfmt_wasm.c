// SPDX-License-Identifier: GPL-2.0
/*
 * Executables are WebAssembly modules.
 *
 * The host compiles and checks the module, and makes the process's memory,
 * before the point of no return, so a bad file fails execve() with ENOEXEC
 * and a host out of memory with ENOMEM.  Past it the host gives the
 * process that memory; the arguments go to its top, below them the
 * argc/argv/envp/auxv tables, and the new program's _start(sp) gets a
 * pointer to argc, as on a classic stack.
 */

#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/auxvec.h>
#include <asm/host.h>
#include <asm/mmu_context.h>

#define WASM_MAX_IMAGE	(256UL << 20)

static const u8 wasm_magic[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

/* Which file, and which version of it: device, inode, ctime, size. */
static void wasm_image_key(struct file *file, u32 key[WASM_IMAGE_KEY_WORDS])
{
	struct inode *inode = file_inode(file);
	struct timespec64 ctime = inode_get_ctime(inode);

	key[0] = inode->i_sb->s_dev;
	key[1] = inode->i_ino;
	key[2] = (u32)ctime.tv_sec;
	key[3] = ctime.tv_nsec;
	key[4] = (u32)i_size_read(inode);
}

/* Have the host check the module and make its memory; say why it could not. */
static long wasm_prepare(struct linux_binprm *bprm, const void *image,
			 loff_t size, const u32 *key)
{
	long ret = wasm_host_exec_prepare(image, size, key);

	if (ret == -ENOMEM)
		pr_warn_ratelimited("execve %s: the host could not make the program's memory\n",
				    bprm->filename);
	return ret;
}

static int wasm_read_image(struct linux_binprm *bprm)
{
	loff_t size = i_size_read(file_inode(bprm->file));
	u32 key[WASM_IMAGE_KEY_WORDS];
	loff_t pos = 0;
	void *image;
	ssize_t got;
	long ret;

	if (size < (loff_t)sizeof(wasm_magic) || size > WASM_MAX_IMAGE)
		return -ENOEXEC;

	wasm_image_key(bprm->file, key);
	ret = wasm_prepare(bprm, NULL, size, key);
	if (ret != -ENOENT)
		return ret;

	image = kvmalloc(size, GFP_KERNEL);
	if (!image)
		return -ENOMEM;

	got = kernel_read(bprm->file, image, size, &pos);
	if (got != size)
		ret = got < 0 ? got : -EIO;
	else
		ret = wasm_prepare(bprm, image, size, key);
	kvfree(image);
	return ret;
}

/*
 * Store pointers to @count consecutive strings starting at *@p into the
 * user array at *@sp, then a NULL; advance both.
 */
static int wasm_put_strings(unsigned long *p, unsigned long __user **sp,
			    int count)
{
	int i;

	for (i = 0; i < count; i++) {
		long len = strnlen_user((const char __user *)*p, MAX_ARG_STRLEN);

		if (!len || len > MAX_ARG_STRLEN)
			return -EINVAL;
		if (put_user(*p, (*sp)++))
			return -EFAULT;
		*p += len;
	}
	return put_user(0, (*sp)++) ? -EFAULT : 0;
}

/*
 * Lay out argc, argv[], envp[] and auxv below the strings at sp; mem_top is
 * where the program's memory as made for it ends.
 */
static int wasm_create_tables(struct linux_binprm *bprm, unsigned long *spp,
			      unsigned long mem_top)
{
	unsigned long p = *spp;
	unsigned long __user *sp;
	unsigned long words;
	int ret;

	/* argc, argv + NULL, envp + NULL, three auxv pairs. */
	words = 1 + bprm->argc + 1 + bprm->envc + 1 + 6;
	sp = (unsigned long __user *)((p - words * sizeof(long)) & ~15UL);
	*spp = (unsigned long)sp;

	if (put_user(bprm->argc, sp++))
		return -EFAULT;

	current->mm->arg_start = p;
	ret = wasm_put_strings(&p, &sp, bprm->argc);
	if (ret)
		return ret;
	current->mm->arg_end = p;

	current->mm->env_start = p;
	ret = wasm_put_strings(&p, &sp, bprm->envc);
	if (ret)
		return ret;
	current->mm->env_end = p;

	if (put_user(AT_PAGESZ, sp++) || put_user(PAGE_SIZE, sp++) ||
	    put_user(AT_WASM_MEMTOP, sp++) || put_user(mem_top, sp++) ||
	    put_user(AT_NULL, sp++) || put_user(0, sp++))
		return -EFAULT;
	return 0;
}

static int load_wasm_binary(struct linux_binprm *bprm)
{
	unsigned long sp;
	long mem;
	int ret;

	if (memcmp(bprm->buf, wasm_magic, sizeof(wasm_magic)))
		return -ENOEXEC;

	ret = wasm_read_image(bprm);
	if (ret)
		return ret;

	ret = begin_new_exec(bprm);
	if (ret)
		return ret;

	mem = wasm_host_exec_commit(current->mm->context.host_id);
	if (mem < 0)
		return mem;

	setup_new_exec(bprm);

	sp = mem & PAGE_MASK;
	current->mm->start_stack = sp;
	ret = transfer_args_to_stack(bprm, &sp);
	if (ret)
		return ret;
	ret = wasm_create_tables(bprm, &sp, mem & PAGE_MASK);
	if (ret)
		return ret;
	wasm_mm_keep_args(current->mm);

	current->mm->start_code = 0;
	current->mm->end_code = 0;
	current->mm->start_data = 0;
	current->mm->end_data = 0;
	current->mm->start_brk = 0;
	current->mm->brk = 0;

	finalize_exec(bprm);
	start_thread(current_pt_regs(), 0, sp);
	return 0;
}

static struct linux_binfmt wasm_format = {
	.module		= THIS_MODULE,
	.load_binary	= load_wasm_binary,
};

static int __init init_wasm_binfmt(void)
{
	register_binfmt(&wasm_format);
	return 0;
}
core_initcall(init_wasm_binfmt);
