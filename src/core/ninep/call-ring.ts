// The fast path of 9P to a local export: a kernel task's worker hands its
// T-message to the 9P server thread (local-server.ts) through slots in a
// shared array and waits there for the answer, which the server writes
// straight into the request's receive buffer in kernel memory. The kernel
// then completes the request before its call returns, so a request costs
// no interrupt, no sleep and no wake-up of the kernel's threads — where
// the answer through the main thread took three host thread wake-ups and
// a message.
//
// Slots are taken in sequence: a caller claims the next sequence number,
// waits for that slot to be free (only with more callers than slots at
// once), fills it and marks it READY; the server serves slots in sequence
// order, marks each DONE, and the caller takes the result and frees it.
// Both sides watch the slot for a while before they sleep on it: a
// metadata request is served in microseconds, a host thread wake-up takes
// tens of them here.

import { Errno } from '../errno.js';
import { errorReplyTo } from './codec.js';

/** Slots in the ring: more than the CPUs that can wait in it at once. */
export const CALL_SLOTS = 64;
const HEADER_WORDS = 16;
const SLOT_WORDS = 16;
/** Int32 words of the shared array. */
export const CALL_RING_WORDS = HEADER_WORDS + CALL_SLOTS * SLOT_WORDS;

/** Header: the next sequence number to claim, and whether the server is gone. */
const NEXT = 0;
export const SERVER_GONE = 1;

/** Slot words. */
const STATE = 0;
const OP = 1;
const CHAN = 2;
const EXPORT = 3;
const TC = 4;
const TC_LEN = 5;
const RC = 6;
const RC_CAP = 7;
const RESULT = 8;

const FREE = 0;
const READY = 1;
const DONE = 2;

export const OP_REQUEST = 1;
export const OP_CLOSE = 2;

/** How long a caller watches its slot before it sleeps (ms). */
export const WATCH_MS = 0.1;
/**
 * How long the server watches for the next call before it sleeps (ms):
 * longer, since a guest's next request often comes after some work of its
 * own, and a wake-up costs tens of µs (0.5 ms against 0.1 ms: about 10%
 * more create+stat+unlink a second).
 */
export const SERVER_WATCH_MS = 0.5;
/** A sleeper's check for a server that went away (ms). */
const RECHECK_MS = 500;

const slotBase = (seq: number): number => HEADER_WORDS + ((seq >>> 0) % CALL_SLOTS) * SLOT_WORDS;

/** A new, empty ring. */
export function newCallRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(CALL_RING_WORDS * 4);
}

/**
 * Waits until ctl[i] is no longer `value`, watching for watchMs first.
 * Returns false if the server is gone meanwhile.
 */
function waitChange(ctl: Int32Array, i: number, value: number, watchMs: number): boolean {
  const until = performance.now() + watchMs;
  for (let n = 0; Atomics.load(ctl, i) === value; n++) {
    // The clock is dearer than a load: look at it every 64 loads.
    if ((n & 63) === 63 && performance.now() > until) break;
  }
  while (Atomics.load(ctl, i) === value) {
    if (Atomics.load(ctl, SERVER_GONE) !== 0) return false;
    Atomics.wait(ctl, i, value, RECHECK_MS);
  }
  return true;
}

/** The kernel workers' side: one call at a time per worker. */
export class NinePCaller {
  private readonly ctl: Int32Array;

  constructor(
    ring: SharedArrayBuffer,
    private readonly memory: () => Uint8Array,
  ) {
    this.ctl = new Int32Array(ring);
  }

  /**
   * Serves one T-message (at tc in kernel memory) on channel chan of export;
   * the R-message is at rc, and its length is returned. When the server is
   * gone, the answer is Rlerror(EIO), so the guest's call fails instead of
   * hanging.
   */
  request(
    chan: number,
    exportIndex: number,
    tc: number,
    tcLen: number,
    rc: number,
    rcCap: number,
  ): number {
    const len = this.call(OP_REQUEST, chan, exportIndex, tc, tcLen, rc, rcCap);
    if (len >= 0) return len;
    return replyWithError(this.memory(), { tc, tcLen, rc, rcCap }, Errno.EIO);
  }

  /** The channel is unmounted: the server drops its fids and locks. */
  close(chan: number): void {
    this.call(OP_CLOSE, chan, 0, 0, 0, 0, 0);
  }

  private call(
    op: number,
    chan: number,
    exportIndex: number,
    tc: number,
    tcLen: number,
    rc: number,
    rcCap: number,
  ): number {
    const ctl = this.ctl;
    if (Atomics.load(ctl, SERVER_GONE) !== 0) return -1;
    const base = slotBase(Atomics.add(ctl, NEXT, 1));
    // Free unless more callers than slots are waiting at once.
    for (let s; (s = Atomics.load(ctl, base + STATE)) !== FREE;)
      if (!waitChange(ctl, base + STATE, s, 0)) return -1;
    ctl[base + OP] = op;
    ctl[base + CHAN] = chan;
    ctl[base + EXPORT] = exportIndex;
    ctl[base + TC] = tc;
    ctl[base + TC_LEN] = tcLen;
    ctl[base + RC] = rc;
    ctl[base + RC_CAP] = rcCap;
    Atomics.store(ctl, base + STATE, READY);
    Atomics.notify(ctl, base + STATE);
    if (!waitChange(ctl, base + STATE, READY, WATCH_MS)) return -1;
    const result = ctl[base + RESULT] as number;
    Atomics.store(ctl, base + STATE, FREE);
    Atomics.notify(ctl, base + STATE);
    return result;
  }
}

/**
 * Answers the T-message at call.tc with Rlerror(errno), written into the
 * call's reply buffer; returns the reply's length.
 */
export function replyWithError(
  kmem: Uint8Array,
  call: {
    readonly tc: number;
    readonly tcLen: number;
    readonly rc: number;
    readonly rcCap: number;
  },
  errno: number,
): number {
  const reply = errorReplyTo(kmem.subarray(call.tc, call.tc + call.tcLen), errno);
  kmem.set(reply.subarray(0, call.rcCap), call.rc);
  return Math.min(reply.length, call.rcCap);
}

/** One call as the server sees it. */
export interface CallRequest {
  readonly op: number;
  readonly chan: number;
  readonly exportIndex: number;
  readonly tc: number;
  readonly tcLen: number;
  readonly rc: number;
  readonly rcCap: number;
}

/** The server's side: takes the calls in sequence order. */
export class NinePCallee {
  private readonly ctl: Int32Array;
  private seq = 0;

  constructor(ring: SharedArrayBuffer) {
    this.ctl = new Int32Array(ring);
  }

  /** Waits for the next call (watching for watchMs first) and serves it with serve. */
  serveNext(watchMs: number, serve: (call: CallRequest) => number): void {
    let call;
    while ((call = this.poll(watchMs)) === null) {
      const at = slotBase(this.seq) + STATE;
      const state = Atomics.load(this.ctl, at);
      if (state !== READY) Atomics.wait(this.ctl, at, state);
    }
    this.complete(serve(call));
  }

  /** The next call, if one comes within watchMs; else null. */
  poll(watchMs: number): CallRequest | null {
    const ctl = this.ctl;
    const base = slotBase(this.seq);
    const until = performance.now() + watchMs;
    for (let n = 0; Atomics.load(ctl, base + STATE) !== READY; n++) {
      if ((n & 63) === 63 && performance.now() > until) return null;
    }
    return {
      op: ctl[base + OP] as number,
      chan: ctl[base + CHAN] as number,
      exportIndex: ctl[base + EXPORT] as number,
      tc: (ctl[base + TC] as number) >>> 0,
      tcLen: (ctl[base + TC_LEN] as number) >>> 0,
      rc: (ctl[base + RC] as number) >>> 0,
      rcCap: (ctl[base + RC_CAP] as number) >>> 0,
    };
  }

  /**
   * Resolves when the next call's slot changes (for a server thread that
   * must keep its event loop turning while it waits: the browser's).
   */
  changed(): Promise<void> {
    const base = slotBase(this.seq);
    const state = Atomics.load(this.ctl, base + STATE);
    if (state === READY) return Promise.resolve();
    const r = (
      Atomics as unknown as {
        waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown };
      }
    ).waitAsync(this.ctl, base + STATE, state);
    return r.async ? (r.value as Promise<unknown>).then(() => {}) : Promise.resolve();
  }

  /** Answers the call poll() gave, with result. */
  complete(result: number): void {
    const ctl = this.ctl;
    const base = slotBase(this.seq);
    ctl[base + RESULT] = result;
    Atomics.store(ctl, base + STATE, DONE);
    Atomics.notify(ctl, base + STATE);
    this.seq = (this.seq + 1) >>> 0;
  }
}

/** Marks the server gone and wakes every waiting caller (they answer EIO). */
export function markServerGone(ring: SharedArrayBuffer): void {
  const ctl = new Int32Array(ring);
  Atomics.store(ctl, SERVER_GONE, 1);
  for (let i = 0; i < CALL_SLOTS; i++) Atomics.notify(ctl, HEADER_WORDS + i * SLOT_WORDS + STATE);
}
