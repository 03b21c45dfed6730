// `wasmlinux serve-net`: a network for guests elsewhere (a browser tab):
// each WebSocket client gets its own passt, and one binary message carries
// one Ethernet frame each way (src/core/net-ws.ts is the client).
//
// What a relay must not become is an open door into the network it runs
// in: passt's connections leave from this host as its own. So by default a
// client's frames to loopback, private, link-local and shared addresses
// (and to this host's own addresses) are dropped here, and passt does not
// map the gateway onto this host's loopback; --allow-private lifts both,
// for a relay whose clients may reach what this host reaches (a developer's
// own machine). A token is required to listen beyond loopback.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { WebSocketServer, type WebSocket } from 'ws';
import { NET_FRAME_MAX } from '../core/abi.js';
import { guestNetwork, type GuestNetwork } from '../core/net-config.js';
import type { RelayHello } from '../core/net-ws.js';
import { tokenOf } from './ninep/ws.js';
import {
  hostAddress,
  hostGateway6,
  hostResolver,
  PASST_MTU,
  startPasst,
  type StreamFrameLink,
} from './passt.js';

export interface ServeNetOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string | null;
  /** Clients at once; more are refused. */
  readonly maxClients: number;
  /** Let clients reach this host's loopback and private networks. */
  readonly allowPrivate: boolean;
  /** Frames a second each client may send, bursts of a second's worth; those beyond are dropped. */
  readonly maxFrameRate?: number;
  /** For messages (connections, refusals). */
  readonly log?: (line: string) => void;
}

/** Bytes a client's socket may hold unsent; frames beyond are dropped (TCP resends). */
const CLIENT_SEND_MAX = 8 << 20;

/**
 * The default of maxFrameRate. A bulk TCP transfer at 200 MB/s sends about
 * 3,000 of passt's 64 KiB frames a second and receives as many acks, a
 * one-byte request/response loop about 5,000: this leaves them room and
 * stops a client from flooding the relay's host with small packets.
 */
export const DEFAULT_MAX_FRAME_RATE = 20_000;

/**
 * A token bucket: take() says whether one more frame may go now. It holds
 * a second's worth, so a burst of that many passes after a quiet spell.
 */
export class FramePolicer {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rate;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class ServeNetError extends Error {
  override name = 'ServeNetError';
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** IPv4 address (4 bytes) as a number. */
function v4(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function v4Text(text: string): number {
  return text.split('.').reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
}

/** [network, prefix length] of the IPv4 ranges a client may not reach. */
const BLOCKED_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
];

/**
 * Which frames from a client may go on to passt: everything but IPv4 and
 * IPv6 packets to blocked destinations. The guest's own link (ARP, DHCP,
 * NDP, passt's gateway and name server) stays open.
 */
export function frameFilter(
  guest: GuestNetwork,
  own: readonly string[],
): (f: Uint8Array) => boolean {
  const allowV4 = new Set([guest.gateway, guest.dns, '255.255.255.255'].map(v4Text));
  const blocked = BLOCKED_V4.map(([a, p]) => [v4Text(a), p === 0 ? 0 : (~0 << (32 - p)) >>> 0]);
  const ownV4 = new Set(own.filter((a) => isIP(a) === 4).map(v4Text));
  const ownV6 = new Set(own.filter((a) => isIP(a) === 6).map((a) => a.toLowerCase()));
  return (f) => {
    if (f.length < 14) return false;
    const type = (f[12]! << 8) | f[13]!;
    if (type === 0x0800) {
      if (f.length < 34) return false;
      const dst = v4(f, 30);
      if (allowV4.has(dst)) return true;
      if (ownV4.has(dst)) return false;
      return !blocked.some(([net, mask]) => (dst & mask!) >>> 0 === net);
    }
    if (type === 0x86dd) {
      if (f.length < 54) return false;
      const d0 = f[38]!;
      const d1 = f[39]!;
      // Link-local and multicast on the link (NDP, DHCPv6) go only to passt.
      if (d0 === 0xfe && (d1 & 0xc0) === 0x80) return true;
      if (d0 === 0xff && (d1 & 0x0f) <= 2) return true;
      // Unique local (fc00::/7), loopback, unspecified, the rest of multicast.
      if ((d0 & 0xfe) === 0xfc || d0 === 0xff) return false;
      const dst = f.subarray(38, 54);
      if (dst.every((b, i) => (i < 15 ? b === 0 : b <= 1))) return false;
      // IPv4-mapped (::ffff:a.b.c.d): no way around the IPv4 rules.
      if (dst.subarray(0, 10).every((b) => b === 0) && dst[10] === 0xff && dst[11] === 0xff) {
        return false;
      }
      const text = Array.from({ length: 8 }, (_, i) =>
        ((dst[2 * i]! << 8) | dst[2 * i + 1]!).toString(16),
      ).join(':');
      return ![...ownV6].some((a) => expand6(a) === text);
    }
    // ARP and anything else stays between the guest and passt.
    return true;
  };
}

/** An IPv6 address written out as eight groups without leading zeros. */
function expand6(a: string): string {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined)
    .map((a) => a.address.replace(/%.*$/, ''));
}

/** Serve until closed; resolves once listening. */
export async function serveNet(
  opts: ServeNetOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  if (opts.token === null && !isLoopbackHost(opts.host)) {
    throw new ServeNetError(
      `serve-net: without --token it listens on loopback only, not on ${opts.host}`,
    );
  }
  const log = opts.log ?? (() => {});
  const resolver = hostResolver();
  // Without host access the gateway is a made-up address: passt maps
  // nothing onto this host for it.
  const guest = guestNetwork(
    opts.allowPrivate ? hostAddress() : null,
    resolver,
    opts.allowPrivate ? hostGateway6() : null,
  );
  const filter = opts.allowPrivate ? null : frameFilter(guest, ownAddresses());
  const hello: RelayHello = { wasmlinux: 'serve-net', mtu: PASST_MTU, guest };
  const clients = new Set<WebSocket>();
  const wss = new WebSocketServer({
    port: opts.port,
    host: opts.host,
    maxPayload: NET_FRAME_MAX,
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
      if (opts.token !== null && tokenOf(info.req) !== opts.token) {
        log(`refused ${info.req.socket.remoteAddress ?? '?'}: wrong or missing token`);
        done(false, 401);
      } else if (clients.size >= opts.maxClients) {
        log(`refused ${info.req.socket.remoteAddress ?? '?'}: ${opts.maxClients} clients already`);
        done(false, 503);
      } else done(true);
    },
  });
  wss.on('connection', (ws, req) => {
    clients.add(ws);
    const who = req.socket.remoteAddress ?? '?';
    let link: StreamFrameLink | null = null;
    let closed = false;
    const rate = opts.maxFrameRate ?? DEFAULT_MAX_FRAME_RATE;
    const policer = new FramePolicer(rate);
    let policed = 0;
    const end = (why: string): void => {
      if (closed) return;
      closed = true;
      clients.delete(ws);
      link?.close();
      ws.close(1000, why.slice(0, 120));
      log(`${who}: ${why}${policed > 0 ? ` (${policed} frames over the rate dropped)` : ''}`);
    };
    ws.on('close', () => end('client left'));
    ws.on('error', () => end('client connection failed'));
    // Frames that come before passt is up are held.
    const early: Uint8Array[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      if (!policer.take()) {
        if (policed++ === 0) {
          log(`${who}: over ${rate} frames a second: dropping the rest`);
        }
        return;
      }
      const frame = new Uint8Array(data.buffer, data.byteOffset, data.length);
      if (filter && !filter(frame)) return;
      if (link) {
        // passt's socket is full: stop reading the client until it drains.
        if (!link.send([frame])) ws.pause();
      } else if (early.length < 256) early.push(frame);
    });
    void startPasst({ resolver, mapHostLoopback: opts.allowPrivate }, guest).then(
      (l) => {
        if (closed) {
          l.close();
          return;
        }
        link = l;
        l.attach({
          frames: (frames) => {
            for (const f of frames) {
              // A client that does not read loses frames, as a full ring would.
              if (ws.bufferedAmount < CLIENT_SEND_MAX) ws.send(f);
            }
          },
          writable: () => ws.resume(),
          closed: (reason) => end(reason),
        });
        ws.send(JSON.stringify(hello));
        if (early.length > 0 && !l.send(early.splice(0))) ws.pause();
        log(`${who}: connected, passt started`);
      },
      (err: unknown) => end(`cannot start passt: ${(err as Error).message}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => resolve());
  });
  const addr = wss.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `ws://${host}:${port}/`,
    close: () =>
      new Promise((resolve) => {
        for (const ws of clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
