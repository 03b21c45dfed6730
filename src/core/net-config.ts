// The guest's network as the host sets it up: the addresses (the same in
// Node and in the browser, whichever passt is at the other end), what init
// is told, and --publish specifications.

/** The guest's IPv4 network. */
export interface GuestNetwork {
  readonly address: string;
  readonly prefix: number;
  /**
   * The guest's router, which is also host.wasmlinux.internal: passt maps
   * TCP and UDP to it onto the host's own loopback.
   */
  readonly gateway: string;
  /**
   * The guest's name server: .3, whose queries passt forwards to the host's
   * resolver; or, when that resolver is the host's own 127.0.0.1, the
   * gateway, which passt maps there like any other port. (This passt
   * answers a forwarded query to a loopback resolver from the gateway's
   * address instead of .3, and the guest's resolver then drops it.)
   */
  readonly dns: string;
  /**
   * The host's IPv6 router (the next hop of its first IPv6 default route),
   * which is also host6.wasmlinux.internal: passt maps TCP and UDP to it
   * onto the host's ::1, as it maps the IPv4 gateway onto 127.0.0.1. null
   * when the host has no IPv6 route (passt then runs IPv4 only) or its
   * loopback is not for the guest. The guest's IPv6 addresses and routes
   * come from passt's router advertisements.
   *
   * A name of its own, not a second address of host.wasmlinux.internal:
   * BusyBox's wget and nc try only the first address of a name, and on a
   * host with a global IPv6 address that would be the IPv6 one, which a
   * server on 127.0.0.1 alone refuses.
   */
  readonly gateway6: string | null;
}

/**
 * qemu's user-mode layout: the guest at 10.0.2.15/24, its name server at
 * .3. The gateway is best the host's own address (passt's ICMP is not
 * mapped like TCP and UDP: a ping to the host's address is answered by the
 * host, one to 10.0.2.2 by nobody); .2 where that is not known.
 */
export function guestNetwork(
  hostAddress: string | null,
  resolver: string | null,
  hostGateway6: string | null = null,
): GuestNetwork {
  const gateway = hostAddress ?? '10.0.2.2';
  return {
    address: '10.0.2.15',
    prefix: 24,
    gateway,
    dns: resolver === '127.0.0.1' ? gateway : '10.0.2.3',
    gateway6: hostGateway6,
  };
}

/** The name under which the guest reaches the host's loopback services. */
export const HOST_NAME_IN_GUEST = 'host.wasmlinux.internal';

/**
 * An IPv4 or IPv6 address as text (an IPv6 one with a %scope), nothing
 * else: these go onto the kernel's command line, from a relay too.
 */
export function isAddressText(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split('.').every((b) => Number(b) < 256);
  return /^[0-9a-fA-F:.]{2,45}(%[0-9A-Za-z_.-]{1,15})?$/.test(text) && text.includes(':');
}

/** How the guest gets its address: told on the command line, or DHCP from passt. */
export type GuestAddressing = 'static' | 'dhcp';

/**
 * init's WASMLINUX_NET= value (userland/init/init.c reads it): comma-
 * separated key=value pairs, or "dhcp" first for DHCP. The name server
 * and the host's name are given either way.
 */
export function guestNetCmdline(net: GuestNetwork, how: GuestAddressing, mtu: number): string {
  const common = `dns=${net.dns},host=${net.gateway}${net.gateway6 ? `,host6=${net.gateway6}` : ''}`;
  if (how === 'dhcp') return `WASMLINUX_NET=dhcp,${common}`;
  return `WASMLINUX_NET=addr=${net.address}/${net.prefix},gw=${net.gateway},mtu=${mtu},${common}`;
}

/** A host port forwarded into the guest (--publish, like docker run -p). */
export interface PublishSpec {
  /** The host address to listen on; all of them when absent. */
  readonly address?: string;
  readonly hostPort: number;
  readonly guestPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export class PublishError extends Error {
  override name = 'PublishError';
}

function port(text: string, spec: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new PublishError(`--publish ${spec}: "${text}" is not a port number (1 to 65535)`);
  }
  return n;
}

/** [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp], as docker run -p takes it. */
export function parsePublish(spec: string): PublishSpec {
  const m =
    /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?([^:/]+):([^:/]+)(?:\/(tcp|udp))?$/.exec(
      spec.trim(),
    );
  if (!m) {
    throw new PublishError(
      `--publish ${spec}: expected HOSTPORT:GUESTPORT[/udp] or ADDRESS:HOSTPORT:GUESTPORT[/udp]`,
    );
  }
  const address = m[1]?.replace(/^\[|\]$/g, '');
  return {
    ...(address ? { address } : {}),
    hostPort: port(m[2]!, spec),
    guestPort: port(m[3]!, spec),
    protocol: m[4] === 'udp' ? 'udp' : 'tcp',
  };
}
