// SPDX-License-Identifier: GPL-2.0
/*
 * An Ethernet device whose wire is the host runtime.
 *
 * Frames cross in two rings in kernel memory (struct wasm_net in
 * asm/host.h): the kernel writes what it sends into tx and the host takes
 * it to a user-mode network stack (passt) or a relay; the host writes what
 * arrives into rx and raises WASM_IRQ_NET, and NAPI takes it from there.
 * Neither side spins: one that finds the ring empty (or full) says so in
 * the ring and is woken by the other's next move.
 *
 * The host does no checksumming and loses nothing in between, so received
 * frames are marked CHECKSUM_UNNECESSARY.  Frames may be as large as the
 * host's stack takes (passt's MTU is 65520), which makes bulk transfers
 * cheap in frames.
 */

#include <linux/atomic.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <asm/host.h>
#include <asm/wasm.h>

#define DRV_NAME		"wasm-net"
#define WASM_NET_RECORD_MAX	(4 + WASM_NET_FRAME_MAX)
/* Bytes of a received frame in the skb's head, for the headers; the rest in pages. */
#define WASM_NET_HEAD_LEN	256

struct wasm_net wasm_net __aligned(64);

/* The counters ethtool -S shows beyond the standard ones. */
enum wasm_net_counter {
	WASM_NET_TX_KICKS,
	WASM_NET_TX_STOPS,
	WASM_NET_TX_WAKES,
	WASM_NET_RX_IRQS,
	WASM_NET_RX_POLLS,
	WASM_NET_RX_PRODUCER_WAKES,
	WASM_NET_RX_NOMEM,
	WASM_NET_RX_BAD_FRAMES,
	WASM_NET_COUNTERS
};

static const char wasm_net_counter_names[WASM_NET_COUNTERS][ETH_GSTRING_LEN] = {
	"tx_host_kicks",
	"tx_queue_stops",
	"tx_queue_wakes",
	"rx_interrupts",
	"rx_polls",
	"rx_host_wakes",
	"rx_nomem_drops",
	"rx_bad_frames",
};

struct wasm_net_priv {
	struct net_device *dev;
	struct napi_struct napi;
	atomic_long_t counter[WASM_NET_COUNTERS];
};

static void wasm_net_count(struct wasm_net_priv *priv,
			   enum wasm_net_counter c)
{
	atomic_long_inc(&priv->counter[c]);
}

static u32 wasm_net_room(const struct wasm_net_ring *ring, u32 head)
{
	return WASM_NET_RING_SIZE - (head - smp_load_acquire(&ring->tail));
}

/* The host sleeps on one of a ring's words when it said so: wake it. */
static bool wasm_net_wake_host(u32 *flag, void *word)
{
	smp_mb();	/* the move that woke it, before reading the flag */
	if (!READ_ONCE(*flag) || !xchg(flag, 0))
		return false;
	wasm_notify(word, 1);
	return true;
}

/*
 * Stop the queue until the host has taken enough of tx that need bytes fit;
 * returns false if that happened while we looked (the queue runs on).
 */
static bool wasm_net_stop_queue(struct net_device *dev, u32 head, u32 need)
{
	struct wasm_net_priv *priv = netdev_priv(dev);
	struct wasm_net_ring *tx = &wasm_net.tx;

	netif_stop_queue(dev);
	wasm_net_count(priv, WASM_NET_TX_STOPS);
	WRITE_ONCE(tx->producer_full, 1);
	smp_mb();	/* the flag, before looking at tail again */
	if (wasm_net_room(tx, head) < need)
		return true;
	WRITE_ONCE(tx->producer_full, 0);
	netif_start_queue(dev);
	return false;
}

static netdev_tx_t wasm_net_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wasm_net_priv *priv = netdev_priv(dev);
	struct wasm_net_ring *tx = &wasm_net.tx;
	u32 len = skb->len;
	u32 head = tx->head;
	u32 rec = ALIGN(4 + len, 4);
	u32 at, first;

	if (unlikely(len > WASM_NET_FRAME_MAX)) {
		DEV_STATS_INC(dev, tx_dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	if (unlikely(wasm_net_room(tx, head) < rec)) {
		/*
		 * The queue stops while a largest frame still fits, but
		 * the interrupt may have woken it on a stale head: wait for
		 * the host's next take after all.
		 */
		if (wasm_net_stop_queue(dev, head, rec))
			return NETDEV_TX_BUSY;
	}

	at = head % WASM_NET_RING_SIZE;
	*(u32 *)&tx->data[at] = len;
	at = (at + 4) % WASM_NET_RING_SIZE;
	first = min_t(u32, len, WASM_NET_RING_SIZE - at);
	skb_copy_bits(skb, 0, &tx->data[at], first);
	if (first < len)
		skb_copy_bits(skb, first, tx->data, len - first);
	head += rec;
	smp_store_release(&tx->head, head);
	dev_sw_netstats_tx_add(dev, 1, len);
	dev_consume_skb_any(skb);

	if (wasm_net_room(tx, head) < WASM_NET_RECORD_MAX)
		wasm_net_stop_queue(dev, head, WASM_NET_RECORD_MAX);
	/* More frames right behind this one: the host takes them all at once. */
	if (!netdev_xmit_more() || netif_queue_stopped(dev)) {
		if (wasm_net_wake_host(&tx->consumer_idle, &tx->head))
			wasm_net_count(priv, WASM_NET_TX_KICKS);
	}
	return NETDEV_TX_OK;
}

/* n bytes from a ring's data at byte count pos, where they may wrap. */
static void wasm_net_ring_read(void *dst, const struct wasm_net_ring *ring,
			       u32 pos, u32 n)
{
	u32 at = pos % WASM_NET_RING_SIZE;
	u32 first = min_t(u32, n, WASM_NET_RING_SIZE - at);

	memcpy(dst, &ring->data[at], first);
	if (first < n)
		memcpy(dst + first, ring->data, n - first);
}

/*
 * An skb for the frame of len bytes at pos: the headers in its head, the
 * rest in pages.  One linear buffer for a 64 KiB frame would be a 128 KiB
 * allocation, and its true size would make TCP prune its receive queue
 * long before the window is used.
 */
static struct sk_buff *wasm_net_frame_skb(struct wasm_net_priv *priv,
					  const struct wasm_net_ring *rx,
					  u32 pos, u32 len)
{
	u32 head_len = min_t(u32, len, WASM_NET_HEAD_LEN);
	struct sk_buff *skb = napi_alloc_skb(&priv->napi, head_len);
	u32 off;

	if (!skb)
		return NULL;
	wasm_net_ring_read(skb_put(skb, head_len), rx, pos, head_len);
	for (off = head_len; off < len; ) {
		u32 n = min_t(u32, len - off, PAGE_SIZE);
		struct page *page = dev_alloc_page();

		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		wasm_net_ring_read(page_address(page), rx, pos + off, n);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, n,
				PAGE_SIZE);
		off += n;
	}
	return skb;
}

/* Take up to budget frames from rx; returns how many were taken. */
static int wasm_net_receive(struct wasm_net_priv *priv, int budget)
{
	struct net_device *dev = priv->dev;
	struct wasm_net_ring *rx = &wasm_net.rx;
	u32 head = smp_load_acquire(&rx->head);
	u32 tail = rx->tail;
	int done = 0;

	while (done < budget && tail != head) {
		u32 at = tail % WASM_NET_RING_SIZE;
		u32 len = *(u32 *)&rx->data[at];
		u32 rec = ALIGN(4 + len, 4);
		struct sk_buff *skb;

		if (unlikely(len < ETH_HLEN || len > WASM_NET_FRAME_MAX ||
			     rec > head - tail)) {
			/* Nothing after a broken length can be trusted. */
			wasm_net_count(priv, WASM_NET_RX_BAD_FRAMES);
			DEV_STATS_INC(dev, rx_errors);
			tail = head;
			break;
		}
		skb = wasm_net_frame_skb(priv, rx, tail + 4, len);
		if (unlikely(!skb)) {
			wasm_net_count(priv, WASM_NET_RX_NOMEM);
			DEV_STATS_INC(dev, rx_dropped);
		} else {
			skb->protocol = eth_type_trans(skb, dev);
			skb->ip_summed = CHECKSUM_UNNECESSARY;
			dev_sw_netstats_rx_add(dev, len);
			napi_gro_receive(&priv->napi, skb);
		}
		tail += rec;
		done++;
	}
	smp_store_release(&rx->tail, tail);
	if (wasm_net_wake_host(&rx->producer_full, &rx->tail))
		wasm_net_count(priv, WASM_NET_RX_PRODUCER_WAKES);
	return done;
}

static int wasm_net_poll(struct napi_struct *napi, int budget)
{
	struct wasm_net_priv *priv = container_of(napi, struct wasm_net_priv,
						  napi);
	struct wasm_net_ring *rx = &wasm_net.rx;
	int done;

	wasm_net_count(priv, WASM_NET_RX_POLLS);
	done = wasm_net_receive(priv, budget);
	if (done < budget && napi_complete_done(napi, done)) {
		/*
		 * From now on the host interrupts for new frames; one that
		 * came before it could see the flag has to be looked for.
		 */
		WRITE_ONCE(rx->consumer_idle, 1);
		smp_mb();
		if (smp_load_acquire(&rx->head) != rx->tail)
			napi_schedule(napi);
	}
	return done;
}

static void wasm_net_update_link(struct net_device *dev)
{
	bool up = READ_ONCE(wasm_net.link);

	if (up && !netif_carrier_ok(dev))
		netif_carrier_on(dev);
	else if (!up && netif_carrier_ok(dev))
		netif_carrier_off(dev);
}

static irqreturn_t wasm_net_interrupt(int irq, void *dev_id)
{
	struct net_device *dev = dev_id;
	struct wasm_net_priv *priv = netdev_priv(dev);
	struct wasm_net_ring *tx = &wasm_net.tx;
	struct wasm_net_ring *rx = &wasm_net.rx;

	wasm_net_count(priv, WASM_NET_RX_IRQS);
	wasm_net_update_link(dev);

	if (netif_running(dev)) {
		if (smp_load_acquire(&rx->head) != rx->tail)
			napi_schedule(&priv->napi);
	} else {
		/* Down: what arrives is dropped, and the host not held up. */
		smp_store_release(&rx->tail, smp_load_acquire(&rx->head));
		WRITE_ONCE(rx->consumer_idle, 1);
		wasm_net_wake_host(&rx->producer_full, &rx->tail);
	}

	if (netif_queue_stopped(dev) &&
	    wasm_net_room(tx, tx->head) >= WASM_NET_RECORD_MAX) {
		wasm_net_count(priv, WASM_NET_TX_WAKES);
		netif_wake_queue(dev);
	}
	return IRQ_HANDLED;
}

/*
 * The queue has been stopped for watchdog_timeo: the host should have
 * taken frames and interrupted long ago.  Wake it again in case its
 * wake-up went missing, and restart the queue if there is room.
 */
static void wasm_net_tx_timeout(struct net_device *dev, unsigned int txqueue)
{
	struct wasm_net_ring *tx = &wasm_net.tx;

	netdev_warn(dev, "transmit queue stalled: head %u, tail %u\n",
		    READ_ONCE(tx->head), READ_ONCE(tx->tail));
	WRITE_ONCE(tx->consumer_idle, 0);
	wasm_notify(&tx->head, 1);
	if (wasm_net_room(tx, READ_ONCE(tx->head)) >= WASM_NET_RECORD_MAX)
		netif_wake_queue(dev);
}

static int wasm_net_open(struct net_device *dev)
{
	struct wasm_net_priv *priv = netdev_priv(dev);

	napi_enable(&priv->napi);
	netif_start_queue(dev);
	/* Whatever the host queued meanwhile. */
	local_bh_disable();
	napi_schedule(&priv->napi);
	local_bh_enable();
	return 0;
}

static int wasm_net_stop(struct net_device *dev)
{
	struct wasm_net_priv *priv = netdev_priv(dev);

	netif_stop_queue(dev);
	napi_disable(&priv->napi);
	WRITE_ONCE(wasm_net.rx.consumer_idle, 1);
	return 0;
}

static const struct net_device_ops wasm_net_ops = {
	.ndo_open		= wasm_net_open,
	.ndo_stop		= wasm_net_stop,
	.ndo_start_xmit		= wasm_net_xmit,
	.ndo_tx_timeout		= wasm_net_tx_timeout,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static void wasm_net_get_drvinfo(struct net_device *dev,
				 struct ethtool_drvinfo *info)
{
	strscpy(info->driver, DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, "host", sizeof(info->bus_info));
}

static int wasm_net_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? WASM_NET_COUNTERS : -EOPNOTSUPP;
}

static void wasm_net_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset == ETH_SS_STATS)
		memcpy(buf, wasm_net_counter_names,
		       sizeof(wasm_net_counter_names));
}

static void wasm_net_get_ethtool_stats(struct net_device *dev,
				       struct ethtool_stats *stats, u64 *data)
{
	struct wasm_net_priv *priv = netdev_priv(dev);
	int i;

	for (i = 0; i < WASM_NET_COUNTERS; i++)
		data[i] = atomic_long_read(&priv->counter[i]);
}

/* Ring sizes in largest frames: how many the byte rings hold at the least. */
static void wasm_net_get_ringparam(struct net_device *dev,
				   struct ethtool_ringparam *ring,
				   struct kernel_ethtool_ringparam *kring,
				   struct netlink_ext_ack *extack)
{
	ring->rx_max_pending = WASM_NET_RING_SIZE / WASM_NET_RECORD_MAX;
	ring->tx_max_pending = ring->rx_max_pending;
	ring->rx_pending = ring->rx_max_pending;
	ring->tx_pending = ring->tx_max_pending;
}

static const struct ethtool_ops wasm_net_ethtool_ops = {
	.get_drvinfo		= wasm_net_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= wasm_net_get_sset_count,
	.get_strings		= wasm_net_get_strings,
	.get_ethtool_stats	= wasm_net_get_ethtool_stats,
	.get_ringparam		= wasm_net_get_ringparam,
};

static int __init wasm_net_init(void)
{
	struct wasm_net_priv *priv;
	struct net_device *dev;
	u32 mtu = READ_ONCE(wasm_net.mtu);
	int ret;

	if (!READ_ONCE(wasm_net.present))
		return 0;

	dev = alloc_etherdev(sizeof(*priv));
	if (!dev)
		return -ENOMEM;
	priv = netdev_priv(dev);
	priv->dev = dev;
	dev->netdev_ops = &wasm_net_ops;
	dev->ethtool_ops = &wasm_net_ethtool_ops;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->max_mtu = WASM_NET_FRAME_MAX - ETH_HLEN;
	dev->watchdog_timeo = 5 * HZ;
	if (mtu >= dev->min_mtu && mtu <= dev->max_mtu)
		dev->mtu = mtu;
	if (is_valid_ether_addr(wasm_net.mac))
		eth_hw_addr_set(dev, wasm_net.mac);
	else
		eth_hw_addr_random(dev);
	netif_napi_add(dev, &priv->napi, wasm_net_poll);
	if (!READ_ONCE(wasm_net.link))
		netif_carrier_off(dev);
	WRITE_ONCE(wasm_net.rx.consumer_idle, 1);

	ret = request_irq(WASM_IRQ_NET, wasm_net_interrupt, 0, DRV_NAME, dev);
	if (ret)
		goto err_napi;
	ret = register_netdev(dev);
	if (ret)
		goto err_irq;
	netdev_dbg(dev, "host Ethernet, MTU %u, %pM\n", dev->mtu,
		    dev->dev_addr);
	return 0;

err_irq:
	free_irq(WASM_IRQ_NET, dev);
err_napi:
	netif_napi_del(&priv->napi);
	free_netdev(dev);
	return ret;
}
device_initcall(wasm_net_init);
