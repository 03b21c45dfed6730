// 9P over WebSocket: `wasmlinux serve-9p DIR` serves a directory to guests
// elsewhere (a browser tab, another machine), and `--mount ws://…:/mnt/x`
// mounts such a server. One binary WebSocket message carries one 9P
// message; the server answers in order. A token, when set, must come as
// `?token=` in the URL or as `Authorization: Bearer`.

import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { webSocketExport as coreWebSocketExport } from '../../core/ninep/ws-client.js';
import type { NinePExport } from '../../core/p9-host.js';
import { bridgeToTcp, bytesOf, type TcpTarget } from './bridge.js';
import type { NinePBackend } from '../../core/ninep/backend.js';
import { NinePEngine } from '../../core/ninep/engine.js';
import { NinePServer } from './server.js';

/** Messages above this close the connection: the server's msize and some slack. */
const MAX_MESSAGE = (1 << 20) + 4096;

/** Requests a connection may have queued or unanswered before it is paused. */
const MAX_IN_FLIGHT = 16;

/**
 * What serve-9p serves: a host directory, another 9P server over TCP, or
 * (for a program embedding the server) any storage, shared by every
 * connection.
 */
export type NinePSource =
  | { readonly kind: 'dir'; readonly dir: string; readonly readOnly: boolean }
  | { readonly kind: 'tcp'; readonly target: TcpTarget }
  | { readonly kind: 'backend'; readonly backend: NinePBackend; readonly readOnly: boolean };

export interface ServeNinePOptions {
  readonly source: NinePSource;
  readonly port: number;
  readonly host: string;
  readonly token: string | null;
}

/** The token a WebSocket client sent: `Authorization: Bearer`, or `?token=`. */
export function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return new URL(req.url ?? '/', 'http://x').searchParams.get('token');
}

/** Serve a directory over WebSocket; resolves once listening. */
export function serveNineP(opts: ServeNinePOptions): Promise<{ url: string; close: () => void }> {
  const wss = new WebSocketServer({
    port: opts.port,
    host: opts.host,
    maxPayload: MAX_MESSAGE,
    verifyClient: (info: { req: IncomingMessage }) =>
      opts.token === null || tokenOf(info.req) === opts.token,
  });
  const source = opts.source;
  wss.on('connection', (ws) => {
    if (source.kind === 'tcp') {
      bridgeToTcp(ws, source.target, MAX_MESSAGE);
      return;
    }
    const server =
      source.kind === 'dir'
        ? new NinePServer({ root: source.dir, readOnly: source.readOnly })
        : new NinePEngine({ backend: source.backend, readOnly: source.readOnly });
    let last = Promise.resolve();
    // Requests queued or replies not yet written. A client that sends
    // faster than it reads is paused, so memory stays bounded.
    let inFlight = 0;
    const settle = (): void => {
      inFlight--;
      if (ws.isPaused && inFlight <= MAX_IN_FLIGHT / 4) ws.resume();
    };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, '9P messages are binary');
        return;
      }
      const message = bytesOf(data);
      if (++inFlight >= MAX_IN_FLIGHT) ws.pause();
      // In order: a reply must not overtake an earlier one.
      last = last.then(() => {
        const reply = server.handle(message);
        if (reply === null) {
          ws.close(1002, 'malformed 9P message');
          settle();
        } else if (ws.readyState === WebSocket.OPEN) ws.send(reply, settle);
        else settle();
      });
    });
    ws.on('close', () => void last.then(() => server.close()));
    ws.on('error', () => ws.terminate());
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const addr = wss.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : opts.port;
      // close() also drops the connections, as a server going away does.
      const close = (): void => {
        for (const c of wss.clients) c.terminate();
        wss.close();
      };
      resolve({ url: `ws://${opts.host}:${port}/`, close });
    });
  });
}

/** A mount of a 9P server at url: one WebSocket per mount. */
export function webSocketExport(tag: string, url: string): NinePExport {
  return coreWebSocketExport(tag, url, (u) => new WebSocket(u, { maxPayload: MAX_MESSAGE }));
}
