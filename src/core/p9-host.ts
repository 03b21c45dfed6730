// The host's side of the kernel's 9P transport (arch/wasm/kernel/9p.c).
//
// A worker forwards each T-message the kernel hands it; here it goes to the
// server of its export (a fresh one per mount, so fids never mix), in order
// per mount. The R-message is written straight into the request's receive
// buffer in kernel memory, (chan, req, length) is queued in wasm_p9_done,
// and IRQ_9P tells the kernel. Every request gets a reply, so no guest
// process waits forever: a server failure or an oversized reply becomes
// Rlerror(EIO).

import {
  cpuIrqPending,
  IRQ_9P,
  P9_DONE_CHAN,
  P9_DONE_HEAD,
  P9_DONE_LEN,
  P9_DONE_REQ,
  P9_DONE_SLOT,
  P9_DONE_SLOT_SIZE,
  P9_DONE_SLOTS,
  P9_DONE_TAIL,
  raiseIrq,
  type KernelSymbols,
} from './abi.js';
import { Errno } from './errno.js';
import { errorReplyTo } from './ninep/codec.js';
import type { LocalExportSpec } from './ninep/local-server.js';

/**
 * One mount's server: T-message in, R-message out (null: the frame made no
 * sense). A local engine answers at once; a remote one later.
 */
export interface NinePHandler {
  handle(message: Uint8Array): Uint8Array | null | Promise<Uint8Array | null>;
  close(): void;
}

/**
 * A directory (or remote) the guest can mount with mount -t 9p TAG DIR:
 * served here on the main thread, a new handler per mount (a remote
 * server, answering later), or by the 9P server thread (local, answering
 * while the kernel waits: ninep/local-server.ts).
 */
export type NinePExport =
  | { readonly tag: string; open(): NinePHandler }
  | { readonly tag: string; readonly local: LocalExportSpec };

export interface NinePRequest {
  readonly chan: number;
  readonly exportIndex: number;
  readonly data: Uint8Array;
  readonly req: number;
  readonly rc: number;
  readonly rcCap: number;
}

export class P9Host {
  private readonly channels = new Map<number, { handler: NinePHandler; last: Promise<void> }>();
  private readonly done: { chan: number; req: number; len: number }[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly symbols: KernelSymbols,
    private readonly exports: readonly NinePExport[],
  ) {}

  /** The export names, by index, for the workers' p9_open. */
  get tags(): string[] {
    return this.exports.map((e) => e.tag);
  }

  /** The local exports' specs by index (null for the others), for the 9P server thread. */
  get localSpecs(): (LocalExportSpec | null)[] {
    return this.exports.map((e) => ('local' in e ? e.local : null));
  }

  request(r: NinePRequest): void {
    let ch = this.channels.get(r.chan);
    if (!ch) {
      const exp = this.exports[r.exportIndex];
      if (!exp || !('open' in exp)) {
        this.complete(r, errorReplyTo(r.data, Errno.EIO));
        return;
      }
      ch = { handler: exp.open(), last: Promise.resolve() };
      this.channels.set(r.chan, ch);
    }
    const handler = ch.handler;
    // One request at a time per mount, in the kernel's order.
    ch.last = ch.last.then(async () => {
      let reply: Uint8Array | null;
      try {
        reply = await handler.handle(r.data);
      } catch {
        reply = null;
      }
      this.complete(r, reply && reply.length <= r.rcCap ? reply : errorReplyTo(r.data, Errno.EIO));
    });
  }

  close(chan: number): void {
    const ch = this.channels.get(chan);
    if (!ch) return;
    this.channels.delete(chan);
    void ch.last.then(() => ch.handler.close());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const ch of this.channels.values()) ch.handler.close();
    this.channels.clear();
  }

  private complete(r: NinePRequest, reply: Uint8Array): void {
    if (this.stopped) return;
    new Uint8Array(this.memory.buffer).set(reply, r.rc);
    this.done.push({ chan: r.chan, req: r.req, len: reply.length });
    this.flush();
  }

  /** Move completions into the kernel's ring, as far as it has room. */
  private flush(): void {
    if (this.stopped) return;
    const i32 = new Int32Array(this.memory.buffer);
    const u32 = new Uint32Array(this.memory.buffer);
    const ring = this.symbols.wasm_p9_done;
    let head = Atomics.load(i32, (ring + P9_DONE_HEAD) >> 2) >>> 0;
    const tail = Atomics.load(i32, (ring + P9_DONE_TAIL) >> 2) >>> 0;
    let moved = false;
    while (this.done.length > 0 && (head - tail) >>> 0 < P9_DONE_SLOTS) {
      const d = this.done.shift()!;
      const slot = ring + P9_DONE_SLOT + (head % P9_DONE_SLOTS) * P9_DONE_SLOT_SIZE;
      u32[(slot + P9_DONE_CHAN) >> 2] = d.chan;
      u32[(slot + P9_DONE_REQ) >> 2] = d.req;
      u32[(slot + P9_DONE_LEN) >> 2] = d.len;
      head = (head + 1) >>> 0;
      moved = true;
    }
    if (moved) {
      Atomics.store(i32, (ring + P9_DONE_HEAD) >> 2, head | 0);
      raiseIrq(i32, cpuIrqPending(this.symbols.wasm_cpus, 0), IRQ_9P);
    }
    if (this.done.length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, 1);
    }
  }
}
