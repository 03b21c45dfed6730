// The guest's network in Node: Debian's passt, the user-mode network stack
// podman uses (NAT, DHCP, DNS forwarding, port forwarding, no privileges),
// one per machine.
//
// passt speaks qemu's stream protocol: each Ethernet frame preceded by its
// length, 32 bits big-endian, over a Unix socket. passt listens on a path
// in a private directory and we connect; with --one-off it ends when the
// machine closes the connection, and also when this process dies. (Handing
// it one end of a socket pair with --fd would be simpler, but then the
// socket keeps the default 208 KiB send buffer, and passt drops the frames
// it cannot send at once: a bulk download lost frames whenever our event
// loop was busy for 0.2 ms. On a connection it accepts, passt sets 8 MiB.)

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { NET_FRAME_MAX } from '../core/abi.js';
import type { GuestNetwork, PublishSpec } from '../core/net-config.js';
import type { FrameLink, FrameLinkHandlers } from '../core/net-host.js';

/** Who passt runs as when started by root. */
const NOBODY = 65534;

/** passt's largest MTU (65520: the largest 802.3 frame less the header, in 32-bit words). */
export const PASST_MTU = 65520;

export interface PasstOptions {
  /** Host ports forwarded into the guest (--publish). */
  publish?: readonly PublishSpec[];
  /** The host resolver that DNS queries to the guest's name server go to (hostResolver()). */
  resolver?: string | null;
  /**
   * Map the gateway's address onto this host's loopback (passt's default);
   * false for a relay whose clients must not reach this host.
   */
  mapHostLoopback?: boolean;
  /** A file where passt records every frame (pcap), for debugging. */
  pcap?: string;
  /** The passt program (default: "passt" on PATH). */
  command?: string;
}

/**
 * The host's IPv4 address on the interface of its default route (what
 * passt takes as its template), or null when there is none.
 */
export function hostAddress(): string | null {
  for (const line of readOrEmpty('/proc/net/route').split('\n').slice(1)) {
    const [iface, dest, , flags] = line.trim().split(/\s+/);
    // RTF_UP (1) with destination 0: a default route.
    if (!iface || dest !== '00000000' || !(parseInt(flags ?? '0', 16) & 1)) continue;
    const addr = networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal);
    if (addr) return addr.address;
  }
  return null;
}

/**
 * The next hop of the host's first IPv6 default route, which passt takes
 * as the guest's IPv6 gateway and maps onto the host's ::1; null when the
 * host has none, and passt runs IPv4 only. A link-local one gets the
 * guest's interface as its scope.
 */
export function hostGateway6(routes = readOrEmpty('/proc/net/ipv6_route')): string | null {
  for (const line of routes.split('\n')) {
    const [dest, plen, , , hop, , , , flags, iface] = line.trim().split(/\s+/);
    if (!iface || iface === 'lo' || !hop || !/^0{32}$/.test(dest ?? '') || plen !== '00') continue;
    // RTF_UP and RTF_GATEWAY, not RTF_REJECT: a default route through a router.
    const f = parseInt(flags ?? '0', 16);
    if ((f & 0x3) !== 0x3 || f & 0x200 || /^0{32}$/.test(hop)) continue;
    const groups = hop.match(/.{4}/g)!.join(':');
    const text = new URL(`http://[${groups}]/`).hostname.slice(1, -1);
    return /^fe[89ab]/i.test(text) ? `${text}%eth0` : text;
  }
  return null;
}

/** A file's text, or '' when it cannot be read (no /proc, no resolv.conf). */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function nameservers(path: string): string[] {
  return readOrEmpty(path)
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined);
}

/**
 * The resolver the guest's queries go to: explicit, or the host's first.
 * Where that is systemd-resolved's stub (127.0.0.53), which passt cannot
 * reach for the guest, the upstream servers systemd keeps for such uses
 * (as Docker does).
 */
export function hostResolver(explicit?: string): string | null {
  if (explicit) return explicit;
  const first = nameservers('/etc/resolv.conf')[0] ?? null;
  if (first?.startsWith('127.') && first !== '127.0.0.1') {
    return nameservers('/run/systemd/resolve/resolv.conf')[0] ?? first;
  }
  return first;
}

/** passt's arguments for the guest network net. */
export function passtArgs(
  opts: PasstOptions,
  net: GuestNetwork,
  socketPath: string,
  asRoot: boolean,
): string[] {
  const args = [
    '--foreground',
    '--one-off',
    '--quiet',
    '--socket',
    socketPath,
    '--mtu',
    String(PASST_MTU),
    '--address',
    net.address,
    '--netmask',
    String(net.prefix),
    '--gateway',
    net.gateway,
    // The guest's name server comes from the command line (net.dns), not
    // from DHCP: a host resolver on the host's loopback would be of no use
    // to the guest as an address.
    '--no-dhcp-dns',
  ];
  if (net.dns !== net.gateway) {
    args.push('--dns-forward', net.dns);
    if (opts.resolver) args.push('--dns', opts.resolver);
  }
  if (opts.pcap) args.push('--pcap', opts.pcap);
  if (opts.mapHostLoopback === false) args.push('--no-map-gw');
  // passt refuses to keep root and says so on every start.
  if (asRoot) args.push('--runas', `${NOBODY}:${NOBODY}`);
  for (const p of opts.publish ?? []) {
    const host = p.address ? `${p.address}/${p.hostPort}` : String(p.hostPort);
    args.push(p.protocol === 'udp' ? '--udp-ports' : '--tcp-ports', `${host}:${p.guestPort}`);
  }
  return args;
}

/** Splits qemu's stream (u32 big-endian length, frame) into frames. */
export class FrameReader {
  private rest: Buffer | null = null;

  /**
   * The whole frames in this chunk (and what was left from the last one).
   * Throws on a length no frame can have: nothing after it can be trusted.
   */
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const frames: Buffer[] = [];
    let off = 0;
    while (off + 4 <= buf.length) {
      const len = buf.readUInt32BE(off);
      if (len > NET_FRAME_MAX) {
        this.rest = null;
        throw new PasstError(`the network stream declared a frame of ${len} bytes`);
      }
      if (off + 4 + len > buf.length) break;
      frames.push(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.rest = off < buf.length ? buf.subarray(off) : null;
    return frames;
  }
}

/** Frames in qemu's stream format, in one buffer. */
export function encodeFrames(frames: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const f of frames) total += 4 + f.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const f of frames) {
    out.writeUInt32BE(f.length, off);
    out.set(f, off + 4);
    off += 4 + f.length;
  }
  return out;
}

/** A FrameLink over a stream in qemu's format (passt's socket). */
export class StreamFrameLink implements FrameLink {
  private handlers: FrameLinkHandlers | null = null;
  private readonly reader = new FrameReader();
  private closed = false;

  /**
   * onClose: the machine is done with the link. why: what ended the stream
   * when the other side did.
   */
  constructor(
    private readonly stream: Duplex,
    private readonly onClose: () => void = () => {},
    why: () => Promise<string> = () => Promise.resolve('the network stream closed'),
  ) {
    stream.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.gone((err as Error).message);
        stream.destroy();
        return;
      }
      if (frames.length > 0) this.handlers?.frames(frames);
    });
    stream.on('drain', () => this.handlers?.writable());
    stream.on('error', () => {});
    stream.on('close', () => {
      if (!this.closed) void why().then((reason) => this.gone(reason));
    });
  }

  attach(handlers: FrameLinkHandlers): void {
    this.handlers = handlers;
  }

  send(frames: readonly Uint8Array[]): boolean {
    if (this.closed || frames.length === 0) return true;
    return this.stream.write(encodeFrames(frames));
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.onClose();
  }

  /** The other end went away (reason for the user). */
  gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.closed(reason);
  }
}

export class PasstError extends Error {
  override name = 'PasstError';
}

/** How long passt may take to start listening. */
const START_TIMEOUT_MS = 5000;

/**
 * Start passt for one machine and connect to it. Throws PasstError when it
 * cannot be started (not installed, no usable host interface); a passt
 * that dies later closes the link, with its last words as the reason.
 */
export async function startPasst(opts: PasstOptions, net: GuestNetwork): Promise<StreamFrameLink> {
  const command = opts.command ?? 'passt';
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-passt-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  // passt makes its socket after it has become nobody (--runas): its directory must be nobody's.
  try {
    if (asRoot) chownSync(dir, NOBODY, NOBODY);
  } catch (err) {
    cleanup();
    throw new PasstError(`cannot give passt a directory as nobody: ${(err as Error).message}`);
  }
  const socketPath = join(dir, 'passt.sock');
  const args = passtArgs(opts, net, socketPath, asRoot);
  let stderr = '';
  let exited: string | null = null;
  const lastWords = (): string =>
    stderr
      .split('\n')
      .filter((l) => l && !l.startsWith('Failed to send'))
      .slice(-3)
      .join('; ');
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      exited = 'failed';
      reject(
        new PasstError(
          err.code === 'ENOENT'
            ? `${command} is not installed (Debian: apt-get install passt)`
            : `cannot start ${command}: ${err.message}`,
        ),
      );
    });
  });
  spawnError.catch(() => {});
  // passt ends by itself once a connection to it closes, which our death
  // does; but one we never connected to would wait for a client forever
  // (the CLI can exit before it connects: a bad kernel image).
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    cleanup();
  };
  process.once('exit', killOnExit);
  child.on('exit', (code, signal) => {
    exited = signal ? `was killed (${signal})` : `exited with status ${code}`;
    process.off('exit', killOnExit);
    cleanup();
  });
  let socket: Socket;
  try {
    socket = await Promise.race([connectWhenListening(socketPath, () => exited), spawnError]);
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGTERM');
    cleanup();
    if (err instanceof PasstError) throw err;
    const words = lastWords();
    throw new PasstError(
      `passt ${exited ?? 'did not start listening'}${words ? `: ${words}` : ''}`,
    );
  }
  // The stream ends with passt: say how passt ended, once it has.
  const ended = new Promise<string>((resolve) => {
    const say = (): void => {
      const words = lastWords();
      resolve(`passt ${exited ?? 'closed the connection'}${words ? `: ${words}` : ''}`);
    };
    if (exited !== null) say();
    child.on('exit', say);
    // The exit can come well after the socket's end on a loaded host (2 s
    // was once too short under CI's load); the guest's link drops only then.
    setTimeout(say, 10_000).unref();
  });
  return new StreamFrameLink(
    socket,
    () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      cleanup();
    },
    () => ended,
  );
}

/** Connect to path once something listens there; gives up when gone() says why, or after a while. */
async function connectWhenListening(path: string, gone: () => string | null): Promise<Socket> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const socket = await new Promise<Socket | null>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => {
        s.destroy();
        resolve(null);
      });
    });
    if (socket) return socket;
    if (gone() !== null || Date.now() > deadline) throw new Error('not listening');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * passt binds published ports itself and says nothing when one is taken;
 * look first, so that the user hears which one.
 */
export async function checkPublishable(publish: readonly PublishSpec[]): Promise<void> {
  for (const p of publish) {
    const problem = await new Promise<string | null>((resolve) => {
      const done = (err: NodeJS.ErrnoException | null, close: () => void): void => {
        try {
          close();
        } catch {
          // Never bound: nothing to close.
        }
        resolve(err ? (err.code === 'EADDRINUSE' ? 'is in use' : err.message) : null);
      };
      if (p.protocol === 'udp') {
        const s = createSocket(p.address?.includes(':') ? 'udp6' : 'udp4');
        s.once('error', (err) => done(err, () => s.close()));
        s.bind(p.hostPort, p.address, () => done(null, () => s.close()));
      } else {
        const s = createServer();
        s.once('error', (err) => done(err, () => s.close()));
        s.listen(p.hostPort, p.address, () => done(null, () => s.close()));
      }
    });
    if (problem) {
      const where = p.address ? `${p.address}:${p.hostPort}` : String(p.hostPort);
      throw new PasstError(`--publish: host ${p.protocol.toUpperCase()} port ${where} ${problem}`);
    }
  }
}
