// Bridge mode of `wasmlinux serve-9p --to tcp://HOST:PORT[/ANAME]`: each
// WebSocket connection gets its own TCP connection to an existing 9P server
// (diod, a Plan 9 file server, …), and messages pass through unchanged
// except one: a Tattach with an empty aname gets ANAME, because the guest
// mounts without one while servers such as diod name their exports by path.
// The bridge does not reorder or wait: 9P tags match replies to requests.
// Both sides are checked for framing, so neither peer can make the bridge
// buffer without bound.

import { connect, type Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import {
  HEADER_SIZE,
  MsgType,
  NinePDecodeError,
  decodeHeader,
  decodeRequest,
  encodeRequest,
} from '../../core/ninep/codec.js';

/** Bytes waiting in either direction before the other side is paused. */
const HIGH_WATER = 4 << 20;

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  /**
   * Sent as the aname of attaches that carry none (empty leaves them alone).
   * Bytes, since it is a path on the server, which need not be UTF-8.
   */
  readonly aname: Uint8Array;
}

/** Parses tcp://HOST:PORT[/ANAME]; throws a message fit for the user. */
export function parseTcpTarget(text: string): TcpTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${text} is not a URL; expected tcp://HOST:PORT[/EXPORT]`);
  }
  if (url.protocol !== 'tcp:') throw new Error(`${text}: only tcp:// servers can be bridged`);
  const port = Number(url.port);
  if (url.hostname === '' || url.port === '' || !Number.isInteger(port) || port < 1) {
    throw new Error(`${text}: give the server's host and port, e.g. tcp://127.0.0.1:564`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const aname = url.pathname === '/' ? new Uint8Array(0) : percentDecode(url.pathname);
  return { host, port, aname };
}

/**
 * The bytes a URL path stands for: %XX is the byte XX even where it is not
 * UTF-8 (decodeURIComponent would throw on tcp://h:564/%FF). WHATWG URL has
 * already percent-encoded every other non-ASCII character as UTF-8.
 */
export function percentDecode(text: string): Uint8Array {
  const raw = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (raw[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(raw[i] as number);
  }
  return Uint8Array.from(out);
}

/** The bytes of a WebSocket message, however the ws package delivered them. */
export function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** Splits a TCP byte stream into 9P messages of at most max bytes. */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly max: number) {}

  /** Adds bytes; returns the whole messages now complete. Throws on a bad size field. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      // The size field is usually all in the first chunk; join the chunks
      // only when it is not, or when the whole message is in.
      const first = this.chunks[0]!;
      const head = first.length >= 4 ? first : this.flatten();
      const size = head.readUInt32LE(0);
      if (size < HEADER_SIZE || size > this.max) {
        throw new NinePDecodeError(`9P message size ${size} out of range`);
      }
      if (this.buffered < size) return out;
      const all = this.flatten();
      out.push(all.subarray(0, size));
      const rest = all.subarray(size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  private flatten(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}

/** The message to send on for a guest's T-message (Tattach may get the aname). */
function forward(message: Uint8Array, target: TcpTarget, max: number): Uint8Array {
  const header = decodeHeader(message, max);
  if (header.type !== MsgType.Tattach || target.aname.length === 0) return message;
  const req = decodeRequest(message, max);
  if (req.kind !== 'attach' || req.aname.length !== 0) return message;
  return encodeRequest({ ...req, aname: target.aname });
}

/** Joins one accepted WebSocket to a new TCP connection to target. */
export function bridgeToTcp(ws: WebSocket, target: TcpTarget, max: number): void {
  const sock: Socket = connect({ host: target.host, port: target.port });
  const splitter = new FrameSplitter(max);
  const resumeTcp = (): void => {
    if (sock.isPaused() && ws.bufferedAmount < HIGH_WATER / 4) sock.resume();
  };
  const fail = (code: number, why: string): void => {
    sock.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING)
      ws.close(code, why.slice(0, 100));
  };
  sock.setNoDelay(true);
  sock.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = splitter.push(chunk);
    } catch {
      fail(1011, 'the 9P server sent a malformed message');
      return;
    }
    for (const f of frames) ws.send(f, resumeTcp);
    // The guest's side reads slower than the server writes: stop reading.
    if (ws.bufferedAmount > HIGH_WATER) sock.pause();
  });
  sock.on('drain', () => ws.resume());
  sock.on('error', (err) => fail(1011, `9P server ${target.host}:${target.port}: ${err.message}`));
  sock.on('close', () => fail(1011, 'the 9P server closed the connection'));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      fail(1003, '9P messages are binary');
      return;
    }
    const message = bytesOf(data);
    try {
      if (!sock.write(forward(message, target, max))) ws.pause();
    } catch {
      fail(1002, 'malformed 9P message');
    }
  });
  ws.on('close', () => sock.destroy());
  ws.on('error', () => sock.destroy());
}
