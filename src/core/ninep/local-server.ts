// The 9P server thread: serves the machine's local exports (a host
// directory, a tree in memory) to the kernel workers through the call ring
// (call-ring.ts), one engine per mounted channel, reading each T-message
// from kernel memory and writing the R-message back there. It runs
// nothing else, so it can watch the ring and answer within microseconds;
// every storage call is synchronous (backend.ts).

import { Errno } from '../errno.js';
import { errnoOf, fail, NeedsAsync, type NinePBackend } from './backend.js';
import {
  NinePCallee,
  OP_CLOSE,
  replyWithError,
  SERVER_WATCH_MS,
  type CallRequest,
} from './call-ring.js';
import { NinePEngine } from './engine.js';

/** An export served by the 9P server thread (it must be able to make the storage there). */
export type LocalExportSpec =
  | { readonly kind: 'dir'; readonly root: string; readonly readOnly: boolean }
  | { readonly kind: 'memory'; readonly readOnly: boolean; readonly maxBytes?: number }
  /** The browser's persistent home: a tree kept in the origin-private file system. */
  | { readonly kind: 'home'; readonly readOnly: boolean; readonly name: string };

export interface LocalServerInit {
  /** The kernel's shared memory. */
  readonly memory: WebAssembly.Memory;
  readonly ring: SharedArrayBuffer;
  /** Indexed like the machine's exports; null where an export is not local. */
  readonly exports: readonly (LocalExportSpec | null)[];
}

/** Makes the storage of an export, on the server thread's platform. */
export type OpenBackend = (spec: LocalExportSpec, index: number) => NinePBackend;

/** Serves calls forever (the thread ends with the machine). */
export function runLocalServer(init: LocalServerInit, open: OpenBackend): never {
  const server = new LocalServer(init, open);
  const callee = new NinePCallee(init.ring);
  const serve = (call: CallRequest): number => server.serve(call);
  for (;;) callee.serveNext(SERVER_WATCH_MS, serve);
}

/** What a storage needs done between calls (the browser's home). */
export interface ServerChores {
  /** After each answered call: the call's changes are all kept by now. */
  afterCall(): void;
  /** When no call is waiting: work for the event loop, which turns meanwhile. */
  idle(): void;
}

/**
 * Serves calls forever on a thread whose event loop must keep turning (a
 * browser worker, where opening a file is asynchronous): it sleeps with
 * Atomics.waitAsync, and a call whose storage throws NeedsAsync is made
 * again once the storage is ready, the caller waiting meanwhile.
 */
export async function runLocalServerAsync(
  init: LocalServerInit,
  backends: readonly (NinePBackend | null)[],
  chores: ServerChores,
): Promise<never> {
  const server = new LocalServer(init, (_spec, i) => backends[i] ?? fail(Errno.EIO));
  const callee = new NinePCallee(init.ring);
  for (;;) {
    const call = callee.poll(SERVER_WATCH_MS);
    if (call === null) {
      chores.idle();
      await callee.changed();
      continue;
    }
    let result: number | undefined;
    while (result === undefined) {
      try {
        result = server.serve(call);
      } catch (err) {
        if (!(err instanceof NeedsAsync)) throw err;
        try {
          await err.ready;
        } catch (why) {
          result = server.refuse(call, errnoOf(why));
        }
      }
    }
    callee.complete(result);
    chores.afterCall();
  }
}

class LocalServer {
  private readonly engines = new Map<number, NinePEngine>();
  /** One storage per export, shared by its mounts (a tree in memory must be). */
  private readonly backends = new Map<number, NinePBackend>();
  /** Kernel memory: a fixed size, never grown (docs/architecture.md, Memory layout). */
  private readonly kmem: Uint8Array;

  constructor(
    private readonly init: LocalServerInit,
    private readonly open: OpenBackend,
  ) {
    this.kmem = new Uint8Array(init.memory.buffer);
  }

  serve(call: CallRequest): number {
    if (call.op === OP_CLOSE) {
      this.engines.get(call.chan)?.close();
      this.engines.delete(call.chan);
      return 0;
    }
    const kmem = this.kmem;
    const message = kmem.subarray(call.tc, call.tc + call.tcLen);
    let reply: Uint8Array | null;
    try {
      reply = this.engine(call).handleView(message);
    } catch (err) {
      if (err instanceof NeedsAsync) throw err;
      reply = null; // no storage for the export (its directory is gone, say)
    }
    if (reply === null || reply.length > call.rcCap) return this.refuse(call, Errno.EIO);
    kmem.set(reply, call.rc);
    return reply.length;
  }

  /** Answers a call with Rlerror(errno) (its storage failed, or could not get ready). */
  refuse(call: CallRequest, errno: number): number {
    return replyWithError(this.kmem, call, errno);
  }

  private engine(call: CallRequest): NinePEngine {
    let engine = this.engines.get(call.chan);
    if (engine === undefined) {
      const spec = this.init.exports[call.exportIndex];
      if (!spec) throw new Error(`export ${call.exportIndex} is not local`);
      let backend = this.backends.get(call.exportIndex);
      if (backend === undefined) {
        backend = this.open(spec, call.exportIndex);
        this.backends.set(call.exportIndex, backend);
      }
      engine = new NinePEngine({ backend, readOnly: spec.readOnly });
      this.engines.set(call.chan, engine);
    }
    return engine;
  }
}
