// SPDX-License-Identifier: GPL-2.0
/*
 * The host's standard streams as character devices, for running a command
 * whose input or output is not a terminal ("wasmlinux -- CMD < file > out"):
 * /dev/host_stdin reads what the host reads from its stdin, byte for byte,
 * with end-of-file out of band; /dev/host_stdout and /dev/host_stderr write
 * to the host's stdout and stderr.  A tty would treat some input bytes as
 * line editing or signals, and would merge the two output streams.
 *
 * Input arrives in wasm_stdin_in, a ring the host fills before raising
 * WASM_IRQ_STDIN; the host sets eof once its stdin has ended and all of it
 * is in the ring.
 */

#include <linux/fs.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/host.h>
#include <asm/wasm.h>

struct wasm_stdin_ring wasm_stdin_in __aligned(8);

static DECLARE_WAIT_QUEUE_HEAD(wasm_stdin_wait);
static DEFINE_MUTEX(wasm_stdin_lock);

static u32 stdin_ready(u32 *tail)
{
	*tail = READ_ONCE(wasm_stdin_in.tail);
	return smp_load_acquire(&wasm_stdin_in.head) - *tail;
}

static bool stdin_eof(void)
{
	return smp_load_acquire(&wasm_stdin_in.eof);
}

static ssize_t host_stdin_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	ssize_t done = 0;
	u32 tail, avail;
	int ret;

	if (!count)
		return 0;
	if (mutex_lock_interruptible(&wasm_stdin_lock))
		return -ERESTARTSYS;
	while (!(avail = stdin_ready(&tail)) && !stdin_eof()) {
		mutex_unlock(&wasm_stdin_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(wasm_stdin_wait,
					       stdin_ready(&tail) || stdin_eof());
		if (ret)
			return ret;
		if (mutex_lock_interruptible(&wasm_stdin_lock))
			return -ERESTARTSYS;
	}
	while (avail && done < count) {
		u32 off = tail % WASM_STDIN_SIZE;
		u32 len = min3(avail, (u32)(count - done), WASM_STDIN_SIZE - off);

		if (copy_to_user(buf + done, wasm_stdin_in.buf + off, len)) {
			if (!done)
				done = -EFAULT;
			break;
		}
		done += len;
		tail += len;
		avail -= len;
	}
	if (done > 0)
		smp_store_release(&wasm_stdin_in.tail, tail);
	mutex_unlock(&wasm_stdin_lock);
	return done;
}

static __poll_t host_stdin_poll(struct file *file, poll_table *wait)
{
	u32 tail;

	poll_wait(file, &wasm_stdin_wait, wait);
	return stdin_ready(&tail) || stdin_eof() ? EPOLLIN | EPOLLRDNORM : 0;
}

static irqreturn_t host_stdin_interrupt(int irq, void *dev_id)
{
	wake_up_interruptible(&wasm_stdin_wait);
	return IRQ_HANDLED;
}

/* Copies through a kernel buffer: the host writes from kernel memory. */
static ssize_t host_stream_write(int stream, const char __user *buf,
				 size_t count)
{
	size_t chunk = min_t(size_t, count, PAGE_SIZE);
	ssize_t done = 0;
	char *kbuf;
	long ret;

	if (!count)
		return 0;
	kbuf = kmalloc(chunk, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	while (done < count) {
		size_t n = min_t(size_t, count - done, chunk);

		if (copy_from_user(kbuf, buf + done, n)) {
			ret = -EFAULT;
			goto out;
		}
		ret = wasm_host_stdio_write(stream, kbuf, n);
		if (ret < 0)
			goto out;
		done += n;
		if (fatal_signal_pending(current))
			break;
	}
	ret = 0;
out:
	kfree(kbuf);
	/* The host's reader went away: what a pipe with no reader does. */
	if (ret == -EPIPE && !done)
		send_sig(SIGPIPE, current, 0);
	return done ? done : ret;
}

static ssize_t host_stdout_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	return host_stream_write(1, buf, count);
}

static ssize_t host_stderr_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	return host_stream_write(2, buf, count);
}

static const struct file_operations host_stdin_fops = {
	.owner	= THIS_MODULE,
	.read	= host_stdin_read,
	.poll	= host_stdin_poll,
	.llseek	= noop_llseek,
};

static const struct file_operations host_stdout_fops = {
	.owner	= THIS_MODULE,
	.write	= host_stdout_write,
	.llseek	= noop_llseek,
};

static const struct file_operations host_stderr_fops = {
	.owner	= THIS_MODULE,
	.write	= host_stderr_write,
	.llseek	= noop_llseek,
};

static struct miscdevice host_stdio_devs[] = {
	{ MISC_DYNAMIC_MINOR, "host_stdin", &host_stdin_fops, .mode = 0444 },
	{ MISC_DYNAMIC_MINOR, "host_stdout", &host_stdout_fops, .mode = 0222 },
	{ MISC_DYNAMIC_MINOR, "host_stderr", &host_stderr_fops, .mode = 0222 },
};

static int __init host_stdio_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(host_stdio_devs); i++) {
		ret = misc_register(&host_stdio_devs[i]);
		if (ret) {
			pr_err("wasm: %s: %d\n", host_stdio_devs[i].name, ret);
			return ret;
		}
	}
	ret = request_irq(WASM_IRQ_STDIN, host_stdin_interrupt, 0, "stdin",
			  NULL);
	if (ret)
		pr_err("wasm: no host stdin: %d\n", ret);
	return 0;
}
device_initcall(host_stdio_init);
