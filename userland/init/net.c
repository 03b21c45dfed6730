// SPDX-License-Identifier: GPL-2.0
/*
 * The network at boot, as a distribution's scripts would set it up: lo up,
 * and eth0 (the host's Ethernet device, when there is one) configured as
 * the host says on the kernel command line, which reaches us as
 *
 *   WASMLINUX_NET=addr=A.B.C.D/N,gw=G,mtu=M,dns=D,host=H[,host6=H6]	(static)
 *   WASMLINUX_NET=dhcp,dns=D,host=H[,host6=H6]		(udhcpc asks passt)
 *
 * dns is the guest's name server (/etc/resolv.conf), host the address of
 * host.wasmlinux.internal and host6 that of host6.wasmlinux.internal, the
 * host's loopback over IPv6 (/etc/hosts; IPv6 itself comes from passt's
 * router advertisements).  Without a C library, with the kernel's ioctls.
 */

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/sockios.h>
#include "io.h"
#include "net.h"

/*
 * The kernel's structures as laid out for a 32-bit target.  <linux/if.h>
 * and <linux/route.h> need a C library's <sys/socket.h>, which init has not.
 */
struct init_sockaddr_in {
	unsigned short family;
	unsigned short port;
	unsigned int addr;	/* network order */
	unsigned char zero[8];
};

struct init_ifreq {
	char name[16];
	union {
		struct init_sockaddr_in addr;
		short flags;
		int mtu;
	} u;
};

struct init_rtentry {
	unsigned long pad1;
	struct init_sockaddr_in dst;
	struct init_sockaddr_in gateway;
	struct init_sockaddr_in genmask;
	unsigned short flags;
	short pad2;
	unsigned long pad3;
	void *pad4;
	short metric;
	char *dev;
	unsigned long mtu;
	unsigned long window;
	unsigned short irtt;
};

#define INIT_IFF_UP		0x1
#define INIT_AF_INET		2
#define INIT_SOCK_DGRAM		2
#define INIT_RTF_UP		0x1
#define INIT_RTF_GATEWAY	0x2
#define INIT_RTF_HOST		0x4

struct net_config {
	int dhcp;
	unsigned int addr, mask, gw, mtu;
	const char *dns, *host, *host6;
	const char *addr_text;
};

static char spec[512];

/* "a.b.c.d" in network order; 0 if it is not one. */
static unsigned int parse_ipv4(const char *s, const char **end)
{
	unsigned int v = 0, part;
	int i;

	for (i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return 0;
		for (part = 0; *s >= '0' && *s <= '9'; s++)
			part = part * 10 + (*s - '0');
		if (part > 255 || (i < 3 && *s++ != '.'))
			return 0;
		v |= part << (8 * i);
	}
	if (end)
		*end = s;
	return v;
}

static unsigned int parse_num(const char *s)
{
	unsigned int n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* Split WASMLINUX_NET's value (copied into spec) into cfg; 0 if absent. */
static int read_config(char **envp, struct net_config *cfg)
{
	static const char key[] = "WASMLINUX_NET=";
	const char *src = 0, *end;
	char *p, *next;
	int i;

	for (i = 0; envp[i]; i++)
		if (starts(envp[i], key))
			src = envp[i] + sizeof(key) - 1;
	if (!src || len(src) >= sizeof(spec))
		return 0;
	for (i = 0; src[i]; i++)
		spec[i] = src[i];
	spec[i] = 0;
	for (p = spec; p && *p; p = next) {
		for (next = p; *next && *next != ','; next++)
			;
		if (*next)
			*next++ = 0;
		else
			next = 0;
		if (streq(p, "dhcp")) {
			cfg->dhcp = 1;
		} else if (starts(p, "addr=")) {
			cfg->addr_text = p + 5;
			cfg->addr = parse_ipv4(p + 5, &end);
			if (cfg->addr && *end == '/') {
				unsigned int bits = parse_num(end + 1);

				cfg->mask = bits >= 32 ? 0xffffffffu :
					bits ? __builtin_bswap32(~0u << (32 - bits)) : 0;
			}
		} else if (starts(p, "gw=")) {
			cfg->gw = parse_ipv4(p + 3, 0);
		} else if (starts(p, "mtu=")) {
			cfg->mtu = parse_num(p + 4);
		} else if (starts(p, "dns=")) {
			cfg->dns = p + 4;
		} else if (starts(p, "host=")) {
			cfg->host = p + 5;
		} else if (starts(p, "host6=")) {
			cfg->host6 = p + 6;
		}
	}
	return 1;
}

static void set_addr(struct init_sockaddr_in *sa, unsigned int addr)
{
	sa->family = INIT_AF_INET;
	sa->addr = addr;
}

static int if_up(long s, const char *name)
{
	struct init_ifreq ifr = { 0 };
	int i;

	for (i = 0; name[i] && i < 15; i++)
		ifr.name[i] = name[i];
	if (sys3(__NR_ioctl, s, SIOCGIFFLAGS, (long)&ifr) < 0)
		return 0;
	if (!(ifr.u.flags & INIT_IFF_UP)) {
		ifr.u.flags |= INIT_IFF_UP;
		if (sys3(__NR_ioctl, s, SIOCSIFFLAGS, (long)&ifr) < 0)
			return 0;
	}
	return 1;
}

static void warn(const char *what, long err)
{
	put_fd(2, "init: eth0: ");
	put_fd(2, what);
	put_fd(2, " failed (error ");
	put_num_fd(2, err < 0 ? -err : err);
	put_fd(2, ")\n");
}

static void configure_static(long s, const struct net_config *cfg)
{
	struct init_ifreq ifr = { .name = "eth0" };
	struct init_rtentry rt = { 0 };
	long ret;

	if (cfg->mtu) {
		ifr.u.mtu = cfg->mtu;
		ret = sys3(__NR_ioctl, s, SIOCSIFMTU, (long)&ifr);
		if (ret < 0)
			warn("setting the MTU", ret);
	}
	set_addr(&ifr.u.addr, cfg->addr);
	ret = sys3(__NR_ioctl, s, SIOCSIFADDR, (long)&ifr);
	if (ret < 0) {
		warn("setting the address", ret);
		return;
	}
	set_addr(&ifr.u.addr, cfg->mask);
	sys3(__NR_ioctl, s, SIOCSIFNETMASK, (long)&ifr);
	if (!if_up(s, "eth0")) {
		warn("bringing it up", -EIO);
		return;
	}
	if (!cfg->gw)
		return;
	/* The gateway may lie outside the subnet (the host's own address). */
	set_addr(&rt.dst, cfg->gw);
	set_addr(&rt.genmask, 0xffffffffu);
	rt.flags = INIT_RTF_UP | INIT_RTF_HOST;
	rt.dev = "eth0";
	sys3(__NR_ioctl, s, SIOCADDRT, (long)&rt);
	set_addr(&rt.dst, 0);
	set_addr(&rt.genmask, 0);
	set_addr(&rt.gateway, cfg->gw);
	rt.flags = INIT_RTF_UP | INIT_RTF_GATEWAY;
	rt.dev = "eth0";
	ret = sys3(__NR_ioctl, s, SIOCADDRT, (long)&rt);
	if (ret < 0)
		warn("adding the default route", ret);
}

static void configure_dhcp(long s)
{
	/*
	 * Quit once configured (-q), or when no lease came (-n) after three
	 * tries a second apart; the script applies it (and the MTU, -O mtu).
	 */
	static char *const argv[] = {
		"udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "3", "-T", "1",
		"-O", "mtu", "-s", "/usr/share/udhcpc/default.script", 0
	};
	int status;

	if (!if_up(s, "eth0")) {
		warn("bringing it up", -EIO);
		return;
	}
	status = run_and_wait(argv);
	if (status != 0)
		warn("DHCP", status < 0 ? status : (status >> 8) & 0xff);
}

static char text[1024];
static unsigned int text_len;

static void add(const char *s)
{
	while (*s && text_len < sizeof(text) - 1)
		text[text_len++] = *s++;
}

static void write_file(const char *path)
{
	long fd = sys4(__NR_openat, AT_FDCWD, (long)path,
		       O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		sys3(__NR_write, fd, (long)text, text_len);
		sys1(__NR_close, fd);
	}
	text_len = 0;
}

/* The first word of /etc/hostname, for a line of /etc/hosts. */
static void add_hostname(void)
{
	char name[65];
	long fd = sys4(__NR_openat, AT_FDCWD, (long)"/etc/hostname", O_RDONLY, 0);
	long n = 0, i;

	if (fd >= 0) {
		n = sys3(__NR_read, fd, (long)name, sizeof(name) - 1);
		sys1(__NR_close, fd);
	}
	for (i = 0; i < n && name[i] != '\n' && name[i] != ' '; i++)
		;
	name[i > 0 ? i : 0] = 0;
	add(i > 0 ? name : "localhost");
}

static void write_host_files(const struct net_config *cfg, int have_net)
{
	add("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (have_net && cfg->host) {
		add(cfg->host);
		add("\thost.wasmlinux.internal\n");
	}
	if (have_net && cfg->host6) {
		add(cfg->host6);
		add("\thost6.wasmlinux.internal\n");
	}
	if (have_net && cfg->addr_text && !cfg->dhcp) {
		const char *p = cfg->addr_text;
		char ip[16];
		int i;

		for (i = 0; p[i] && p[i] != '/' && i < 15; i++)
			ip[i] = p[i];
		ip[i] = 0;
		add(ip);
		add("\t");
		add_hostname();
		add("\n");
	} else {
		add("127.0.1.1\t");
		add_hostname();
		add("\n");
	}
	write_file("/etc/hosts");
	if (have_net && cfg->dns) {
		add("nameserver ");
		add(cfg->dns);
		add("\n");
		write_file("/etc/resolv.conf");
	}
}

/*
 * Two settings, through /proc (mounted for this alone; whoever runs next
 * mounts what it needs):
 * - routes through a device without carrier are skipped: when the host's
 *   network goes away (passt ended), connect() fails at once with
 *   ENETUNREACH instead of resending SYNs for two minutes;
 * - no duplicate address detection on eth0: nothing but passt is on its
 *   link, and detection would keep IPv6 addresses unusable for a second.
 */
static void net_sysctls(void)
{
	static const char *const knobs[] = {
		"/proc/sys/net/ipv4/conf/all/ignore_routes_with_linkdown", "1",
		"/proc/sys/net/ipv6/conf/all/ignore_routes_with_linkdown", "1",
		"/proc/sys/net/ipv6/conf/eth0/accept_dad", "0",
	};
	unsigned int i;
	long fd;

	sys3(__NR_mkdirat, AT_FDCWD, (long)"/proc", 0555);
	if (__wasm_syscall(__NR_mount, (long)"proc", (long)"/proc", (long)"proc",
			   0, 0, 0) < 0)
		return;
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i += 2) {
		fd = sys4(__NR_openat, AT_FDCWD, (long)knobs[i], O_WRONLY, 0);
		if (fd >= 0) {
			sys3(__NR_write, fd, (long)knobs[i + 1], 1);
			sys1(__NR_close, fd);
		}
	}
	sys2(__NR_umount2, (long)"/proc", 0);
}

void net_up(char **envp)
{
	struct net_config cfg = { 0 };
	long s = sys3(__NR_socket, INIT_AF_INET, INIT_SOCK_DGRAM, 0);
	int have_net = 0;

	if (s < 0)
		return;
	/* Programs expect 127.0.0.1 and ::1 to answer. */
	if_up(s, "lo");
	if (read_config(envp, &cfg)) {
		have_net = 1;
		net_sysctls();
		if (cfg.dhcp)
			configure_dhcp(s);
		else if (cfg.addr)
			configure_static(s, &cfg);
	}
	sys1(__NR_close, s);
	write_host_files(&cfg, have_net);
}
