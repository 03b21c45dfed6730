// The guest's side of 9P over WebSocket (a `wasmlinux serve-9p` server, or
// its bridge to another 9P server), for Node and browsers alike: only the
// WHATWG WebSocket interface is used, which browsers have and the `ws`
// package implements. One binary message carries one 9P message. P9Host
// sends one request at a time per mount, so the next message to arrive is
// the reply to the request waiting.

import type { NinePExport, NinePHandler } from '../p9-host.js';

/** The part of the WHATWG WebSocket this needs. */
export interface WebSocketLike {
  binaryType: string;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (ev: { code: number; reason: string | { toString(): string } }) => void,
  ): void;
}

/** Opens a WebSocket to url (the platform's own, or the ws package's). */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** url with its token, if any, hidden: for messages the user sees. */
export function hideToken(url: string): string {
  return url.replace(/([?&]token=)[^&]*/, '$1…');
}

/** A mount of the 9P server at url: a new WebSocket for each mount. */
export function webSocketExport(tag: string, url: string, connect: WebSocketFactory): NinePExport {
  // The token stays out of error messages, which the guest's user sees.
  const shown = hideToken(url);
  return {
    tag,
    open: (): NinePHandler => {
      let ws: WebSocketLike;
      let lost: Error | null = null;
      const waiting: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[] = [];
      const fail = (err: Error): void => {
        lost ??= err;
        for (const w of waiting.splice(0)) w.reject(lost);
      };
      try {
        ws = connect(url);
      } catch (err) {
        // A malformed URL: every request of this mount fails with EIO.
        const error = new Error(`cannot connect to ${shown}: ${(err as Error).message}`);
        return {
          handle: () => Promise.reject(error),
          close: () => {},
        };
      }
      ws.binaryType = 'arraybuffer';
      const opened = new Promise<void>((resolve, reject) => {
        ws.addEventListener('open', () => resolve());
        ws.addEventListener('error', () => reject(new Error(`cannot connect to ${shown}`)));
      });
      opened.catch(() => {});
      ws.addEventListener('message', (ev) => {
        const d = ev.data;
        if (d instanceof ArrayBuffer) waiting.shift()?.resolve(new Uint8Array(d));
        else if (d instanceof Uint8Array) waiting.shift()?.resolve(d);
        else {
          // Not a 9P server: a text frame carries no 9P message.
          fail(new Error(`${shown} sent a text message, not 9P`));
          ws.close(1003, '9P messages are binary');
        }
      });
      ws.addEventListener('close', (ev) =>
        fail(new Error(`9P connection to ${shown} closed (${ev.code} ${ev.reason.toString()})`)),
      );
      ws.addEventListener('error', () => fail(new Error(`9P connection to ${shown} failed`)));
      return {
        async handle(message: Uint8Array): Promise<Uint8Array | null> {
          await opened;
          if (lost) throw lost;
          return new Promise<Uint8Array>((resolve, reject) => {
            waiting.push({ resolve, reject });
            // Browsers refuse to send a view of shared memory.
            ws.send(
              message.buffer instanceof ArrayBuffer
                ? (message as Uint8Array<ArrayBuffer>)
                : new Uint8Array(message),
            );
          });
        },
        close(): void {
          ws.close();
        },
      };
    },
  };
}
