// SPDX-License-Identifier: GPL-2.0
/*
 * The host console: a console for printk and a one-line tty (ttyW0) that
 * /dev/console resolves to.  Output goes straight to the host.  Input
 * arrives in wasm_console_in, a ring the host fills before raising
 * WASM_IRQ_CONSOLE; the host terminal's size arrives the same way, in
 * wasm_console_winsize.
 */

#include <linux/console.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/workqueue.h>
#include <asm/host.h>
#include <asm/wasm.h>

struct wasm_console_ring wasm_console_in __aligned(8);

struct wasm_console_winsize wasm_console_winsize __aligned(8);
static u32 wasm_winsize_seen;

static struct tty_driver *wasm_tty_driver;
static struct tty_port wasm_tty_port;

/*
 * "wasm_console=pipe": the host's side is not a terminal (it runs one
 * command with its input and output redirected), so the console starts
 * without echo and without output processing, like a pipe.
 */
static bool wasm_console_pipe;

static int __init wasm_console_setup(char *arg)
{
	wasm_console_pipe = !strcmp(arg, "pipe");
	return 1;
}
__setup("wasm_console=", wasm_console_setup);

/* The host console is always connected: no carrier to wait for. */
static const struct tty_port_operations wasm_tty_port_ops;

static void wasm_console_write(struct console *con, const char *s,
			       unsigned int n)
{
	wasm_host_console_write(s, n);
}

static struct tty_driver *wasm_console_device(struct console *con,
					      int *index)
{
	*index = 0;
	return wasm_tty_driver;
}

static struct console wasm_console = {
	.name	= "ttyW",
	.write	= wasm_console_write,
	.device	= wasm_console_device,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME,
	.index	= -1,
};

/* Called from setup_arch(): the host console works from the first instruction. */
void __init wasm_console_init(void)
{
	register_console(&wasm_console);
}

static void wasm_console_drain(void);

/* Give the tty the host's size if it changed since last time (or always). */
static void wasm_console_apply_size(struct tty_struct *tty, bool always)
{
	struct winsize ws = {};
	u32 seq, size;

	seq = smp_load_acquire(&wasm_console_winsize.seq);
	size = READ_ONCE(wasm_console_winsize.size);
	if (!always && seq == READ_ONCE(wasm_winsize_seen))
		return;
	WRITE_ONCE(wasm_winsize_seen, seq);
	ws.ws_row = size >> 16;
	ws.ws_col = size & 0xffff;
	if (ws.ws_row && ws.ws_col)
		tty_do_resize(tty, &ws);
}

/*
 * tty_do_resize() takes a mutex and signals the foreground process group
 * (SIGWINCH), so it runs from a work item, not the interrupt.
 */
static void wasm_console_resize(struct work_struct *work)
{
	struct tty_struct *tty = tty_port_tty_get(&wasm_tty_port);

	if (!tty)
		return;
	wasm_console_apply_size(tty, false);
	tty_kref_put(tty);
}
static DECLARE_WORK(wasm_resize_work, wasm_console_resize);

static void wasm_console_check_size(void)
{
	if (smp_load_acquire(&wasm_console_winsize.seq) !=
	    READ_ONCE(wasm_winsize_seen))
		schedule_work(&wasm_resize_work);
}

static int wasm_tty_open(struct tty_struct *tty, struct file *filp)
{
	int ret = tty_port_open(&wasm_tty_port, tty, filp);

	if (!ret) {
		/* A new tty starts at 0x0: give it the host's size. */
		if (tty->count == 1)
			wasm_console_apply_size(tty, true);
		wasm_console_drain();
	}
	return ret;
}

static void wasm_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(&wasm_tty_port, tty, filp);
}

static ssize_t wasm_tty_write(struct tty_struct *tty, const u8 *buf,
			      size_t count)
{
	wasm_host_console_write(buf, count);
	return count;
}

static unsigned int wasm_tty_write_room(struct tty_struct *tty)
{
	return 65536;
}

static const struct tty_operations wasm_tty_ops = {
	.open		= wasm_tty_open,
	.close		= wasm_tty_close,
	.write		= wasm_tty_write,
	.write_room	= wasm_tty_write_room,
};

/*
 * Move input from the host's ring to the tty.  Input that arrives before
 * anyone has the console open stays in the ring until the first open.
 */
static void wasm_console_drain(void)
{
	struct wasm_console_ring *ring = &wasm_console_in;
	struct tty_struct *tty = tty_port_tty_get(&wasm_tty_port);
	u32 head, tail;

	if (!tty)
		return;
	head = smp_load_acquire(&ring->head);
	tail = ring->tail;
	while (tail != head) {
		u32 off = tail % WASM_CONSOLE_IN_SIZE;
		u32 len = min(head - tail, WASM_CONSOLE_IN_SIZE - off);

		tty_insert_flip_string(&wasm_tty_port, ring->buf + off, len);
		tail += len;
	}
	smp_store_release(&ring->tail, tail);
	tty_flip_buffer_push(&wasm_tty_port);
	tty_kref_put(tty);
}

static irqreturn_t wasm_console_interrupt(int irq, void *dev_id)
{
	wasm_console_check_size();
	wasm_console_drain();
	return IRQ_HANDLED;
}

static int __init wasm_tty_init(void)
{
	struct tty_driver *driver;
	int ret;

	driver = tty_alloc_driver(1, TTY_DRIVER_REAL_RAW |
				  TTY_DRIVER_RESET_TERMIOS);
	if (IS_ERR(driver))
		return PTR_ERR(driver);

	tty_port_init(&wasm_tty_port);
	wasm_tty_port.ops = &wasm_tty_port_ops;
	driver->driver_name = "wasm-console";
	driver->name = "ttyW";
	driver->major = 0;
	driver->minor_start = 0;
	driver->type = TTY_DRIVER_TYPE_SYSTEM;
	driver->subtype = SYSTEM_TYPE_CONSOLE;
	driver->init_termios = tty_std_termios;
	/* Host terminals speak UTF-8: erase whole characters, as they do. */
	driver->init_termios.c_iflag |= IUTF8;
	if (wasm_console_pipe) {
		driver->init_termios.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL |
						  ECHOCTL | ECHOKE);
		driver->init_termios.c_oflag &= ~OPOST;
	}
	tty_set_operations(driver, &wasm_tty_ops);
	tty_port_link_device(&wasm_tty_port, driver, 0);

	ret = tty_register_driver(driver);
	if (ret) {
		tty_driver_kref_put(driver);
		tty_port_destroy(&wasm_tty_port);
		return ret;
	}
	wasm_tty_driver = driver;

	ret = request_irq(WASM_IRQ_CONSOLE, wasm_console_interrupt, 0,
			  "console", NULL);
	if (ret)
		pr_err("wasm: no console input: %d\n", ret);
	return 0;
}
device_initcall(wasm_tty_init);
