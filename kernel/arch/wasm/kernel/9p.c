// SPDX-License-Identifier: GPL-2.0
/*
 * A 9P transport to the host: mount -t 9p -o trans=wasm TAG DIR.
 *
 * The host exports directories by name (the CLI's --mount).  A request's
 * T-message goes to the host in one call, and the host writes the
 * R-message straight into the request's receive buffer.  A local export
 * (a host directory, a tree in memory) is served while the call waits, so
 * the request completes before it returns: no interrupt, no sleep, no
 * thread woken.  A remote one (over WebSocket) answers later: the host
 * queues the request in wasm_p9_done and raises WASM_IRQ_9P.  Either way
 * the request keeps the transport's reference until its reply is in, so
 * its buffer cannot go away under the host.
 */

#include <linux/errno.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/9p/9p.h>
#include <net/9p/client.h>
#include <net/9p/transport.h>
#include <asm/host.h>
#include <asm/wasm.h>

/* Messages up to this size: a large msize makes big reads and writes fast. */
#define WASM_P9_MAXSIZE		(512 * 1024)

struct wasm_p9_chan {
	struct p9_client *client;
	int export;
};

struct wasm_p9_done_ring wasm_p9_done __aligned(8);

static int p9_wasm_create(struct p9_client *client, const char *tag,
			  char *args)
{
	struct wasm_p9_chan *chan;
	long export;

	if (!tag)
		return -EINVAL;
	export = wasm_host_p9_open(tag, strlen(tag));
	if (export < 0)
		return export;
	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return -ENOMEM;
	chan->client = client;
	chan->export = export;
	client->trans = chan;
	client->status = Connected;
	return 0;
}

static void p9_wasm_close(struct p9_client *client)
{
	struct wasm_p9_chan *chan = client->trans;

	if (!chan)
		return;
	client->status = Disconnected;
	wasm_host_p9_close(chan);
	client->trans = NULL;
	kfree(chan);
}

static int p9_wasm_request(struct p9_client *client, struct p9_req_t *req)
{
	struct wasm_p9_chan *chan = client->trans;
	long len;

	if (!chan || client->status != Connected)
		return -EIO;
	WRITE_ONCE(req->status, REQ_STATUS_SENT);
	len = wasm_host_p9_request(chan, chan->export, req->tc.sdata,
				   req->tc.size, req, req->rc.sdata,
				   req->rc.capacity);
	if (len >= 0) {
		/* Answered already: p9_client_rpc() finds it without waiting. */
		req->rc.size = len;
		p9_client_cb(client, req, REQ_STATUS_RCVD);
	}
	return 0;
}

/* The host serves requests in order: nothing is ever left to cancel. */
static int p9_wasm_cancel(struct p9_client *client, struct p9_req_t *req)
{
	return 1;
}

static int p9_wasm_cancelled(struct p9_client *client, struct p9_req_t *req)
{
	return 0;
}

static irqreturn_t p9_wasm_interrupt(int irq, void *dev_id)
{
	struct wasm_p9_done_ring *ring = &wasm_p9_done;
	u32 head = smp_load_acquire(&ring->head);
	u32 tail = ring->tail;

	for (; tail != head; tail++) {
		unsigned int i = tail % WASM_P9_DONE_SLOTS;
		struct wasm_p9_chan *chan =
			(struct wasm_p9_chan *)(unsigned long)ring->slot[i].chan;
		struct p9_req_t *req =
			(struct p9_req_t *)(unsigned long)ring->slot[i].req;

		req->rc.size = ring->slot[i].len;
		p9_client_cb(chan->client, req, REQ_STATUS_RCVD);
	}
	smp_store_release(&ring->tail, tail);
	return IRQ_HANDLED;
}

static struct p9_trans_module p9_wasm_trans = {
	.name		= "wasm",
	.maxsize	= WASM_P9_MAXSIZE,
	.pooled_rbuffers = false,
	.def		= 1,
	.create		= p9_wasm_create,
	.close		= p9_wasm_close,
	.request	= p9_wasm_request,
	.cancel		= p9_wasm_cancel,
	.cancelled	= p9_wasm_cancelled,
	.owner		= THIS_MODULE,
};

static int __init p9_wasm_init(void)
{
	int ret = request_irq(WASM_IRQ_9P, p9_wasm_interrupt, 0, "9p", NULL);

	if (ret)
		return ret;
	v9fs_register_trans(&p9_wasm_trans);
	return 0;
}
device_initcall(p9_wasm_init);
