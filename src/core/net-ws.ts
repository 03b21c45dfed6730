// The guest's network through a `wasmlinux serve-net` relay, for a page (or
// Node): a WebSocket whose first message is the relay's description of the
// guest's network (text, JSON: RelayHello), and after it one binary message
// per Ethernet frame, both ways. The relay gives each connection its own
// passt.

import { hideToken, type WebSocketLike } from './ninep/ws-client.js';
import { isAddressText, type GuestNetwork } from './net-config.js';
import { NET_FRAME_MAX } from './abi.js';
import type { FrameLink, FrameLinkHandlers } from './net-host.js';

/** What a relay says first. */
export interface RelayHello {
  readonly wasmlinux: 'serve-net';
  readonly mtu: number;
  readonly guest: GuestNetwork;
}

/** A WebSocket that says how much it has not sent yet. */
export interface NetWebSocket extends WebSocketLike {
  readonly bufferedAmount: number;
}

export type NetWebSocketFactory = (url: string) => NetWebSocket;

/** Bytes the socket may hold unsent before the device is told to wait. */
const SEND_HIGH = 4 << 20;

function isHello(v: unknown): v is RelayHello {
  const h = v as Partial<RelayHello> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    h.wasmlinux === 'serve-net' &&
    typeof h.mtu === 'number' &&
    typeof h.guest?.address === 'string' &&
    isAddressText(h.guest.address) &&
    typeof h.guest.prefix === 'number' &&
    typeof h.guest.gateway === 'string' &&
    isAddressText(h.guest.gateway) &&
    typeof h.guest.dns === 'string' &&
    isAddressText(h.guest.dns) &&
    (h.guest.gateway6 == null ||
      (typeof h.guest.gateway6 === 'string' && isAddressText(h.guest.gateway6)))
  );
}

class WebSocketFrameLink implements FrameLink {
  private handlers: FrameLinkHandlers | null = null;
  private closed = false;
  private waiting: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly ws: NetWebSocket) {}

  attach(handlers: FrameLinkHandlers): void {
    this.handlers = handlers;
  }

  deliver(data: Uint8Array): void {
    if (!this.closed && data.length > 0) this.handlers?.frames([data]);
  }

  send(frames: readonly Uint8Array[]): boolean {
    if (this.closed) return true;
    // A WebSocket takes no view of shared memory: each frame is copied.
    for (const f of frames) this.ws.send(f.slice());
    if (this.ws.bufferedAmount < SEND_HIGH) return true;
    // No drain event on a WebSocket: look again shortly.
    const poll = (): void => {
      this.waiting = null;
      if (this.closed) return;
      if (this.ws.bufferedAmount < SEND_HIGH / 2) this.handlers?.writable();
      else this.waiting = setTimeout(poll, 2);
    };
    this.waiting ??= setTimeout(poll, 2);
    return false;
  }

  // Frames keep coming: the relay's TCP windows bound them.
  pause(): void {}
  resume(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiting) clearTimeout(this.waiting);
    this.ws.close(1000, 'machine stopped');
  }

  gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiting) clearTimeout(this.waiting);
    this.handlers?.closed(reason);
  }
}

export class RelayError extends Error {
  override name = 'RelayError';
}

/**
 * Connect to a serve-net relay at url; resolves once it has described the
 * guest's network. Rejects with a RelayError the user can act on when the
 * relay cannot be reached or refuses (a wrong or missing token).
 */
export function connectRelay(
  url: string,
  connect: NetWebSocketFactory,
): Promise<{ link: FrameLink; hello: RelayHello }> {
  // The token stays out of messages the user sees.
  const shown = hideToken(url);
  return new Promise((resolve, reject) => {
    let ws: NetWebSocket;
    try {
      ws = connect(url);
    } catch (err) {
      reject(new RelayError(`cannot connect to ${shown}: ${(err as Error).message}`));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let link: WebSocketFrameLink | null = null;
    let opened = false;
    ws.addEventListener('open', () => (opened = true));
    ws.addEventListener('message', (ev) => {
      const d = ev.data;
      if (link) {
        if (d instanceof ArrayBuffer) link.deliver(new Uint8Array(d));
        else if (d instanceof Uint8Array) link.deliver(d);
        return;
      }
      let hello: unknown = null;
      try {
        hello = typeof d === 'string' ? JSON.parse(d) : null;
      } catch {
        // Not a relay.
      }
      if (!isHello(hello) || hello.mtu > NET_FRAME_MAX - 14) {
        reject(new RelayError(`${shown} is not a wasmlinux serve-net relay`));
        ws.close(1002, 'not a relay');
        return;
      }
      link = new WebSocketFrameLink(ws);
      resolve({ link, hello });
    });
    ws.addEventListener('close', (ev) => {
      if (link) {
        link.gone(`the relay at ${shown} closed the connection (${String(ev.reason) || ev.code})`);
        return;
      }
      reject(
        new RelayError(
          opened
            ? `the relay at ${shown} closed the connection: ${String(ev.reason) || ev.code}`
            : `cannot connect to the relay at ${shown}: refused or unreachable (a wrong or missing token?)`,
        ),
      );
    });
  });
}
