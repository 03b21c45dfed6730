// A second thread for the large copies of fork (process-memory.ts).
//
// Why: a fork copies all the memory its process uses, and one thread
// copies about 7 GB/s here: 10.3 ms for 72 MiB (a program with 64 MiB of
// heap), taking turns between two target memories as a loop of forks does.
// Two threads, each copying half, took 5.6-5.9 ms: one core's copy, not
// the memory, is the limit. The forking worker is blocked in the kernel
// for the whole fork, so the other half goes to a helper thread of its own.
//
// The helper receives each memory once (a shared memory posted to a thread
// is a new reference there) and keeps it under an id. A thread lets go of a
// memory only when its collector runs, which an idle helper seldom does, so
// the requester bounds what a helper holds: past HELPER_MEMORIES it ends
// the helper and starts another, which frees them all.
//
// A copy must never land after the fork returned (the child would see it
// change under it), so the two sides agree through one word: the requester
// posts (POSTED), the helper claims it (CLAIMED) or finds it revoked, and
// says DONE. A requester that waited too long for a claim revokes the
// request and copies the rest itself; once claimed, it waits for DONE.

import { copyRanges, type MemoryRange } from './process-memory.js';

/** What a helper thread starts with. */
export interface CopyHelperInit {
  /** Int32Array words: [STATE] of the current request, [READY] once listening. */
  ctl: SharedArrayBuffer;
}

/** A memory by id, with the memory itself the first time the helper sees it. */
interface MemoryRef {
  id: number;
  memory?: WebAssembly.Memory;
}

/** The one message a helper gets. */
export interface CopyRequest {
  from: MemoryRef;
  to: MemoryRef;
  ranges: MemoryRange[];
}

/** The platform's handle on a helper thread. */
export interface CopyHelperPort {
  post(request: CopyRequest): void;
  terminate(): void;
}

const STATE = 0;
const READY = 1;
const POSTED = 1;
const CLAIMED = 2;
const REVOKED = 3;
const DONE = 4;

/** Below this many bytes one thread copies alone (a request costs ~0.1 ms). */
export const PARALLEL_COPY_MIN = 8 << 20;
/** Memories a helper may hold before it is replaced. */
const HELPER_MEMORIES = 6;
/** How long a posted request may wait for the helper to claim it. */
const CLAIM_WAIT_MS = 20;
/** How long a claimed copy may take before the helper counts as lost. */
const COPY_WAIT_MS = 10_000;

/** The helper thread's side: copy what is asked, unless it was revoked. */
export function runCopyHelper(
  init: CopyHelperInit,
  onRequest: (handler: (r: CopyRequest) => void) => void,
): void {
  const ctl = new Int32Array(init.ctl);
  const memories = new Map<number, WebAssembly.Memory>();
  const resolve = (ref: MemoryRef): WebAssembly.Memory | undefined => {
    if (ref.memory) memories.set(ref.id, ref.memory);
    return memories.get(ref.id);
  };
  onRequest((r) => {
    const from = resolve(r.from);
    const to = resolve(r.to);
    if (Atomics.compareExchange(ctl, STATE, POSTED, CLAIMED) !== POSTED) return;
    // Without both memories (cannot happen: a memory is sent until the
    // helper holds it) it copies nothing, and the requester that reads
    // REVOKED copies this half itself.
    if (from && to) copyRanges(from, to, r.ranges);
    Atomics.store(ctl, STATE, from && to ? DONE : REVOKED);
    Atomics.notify(ctl, STATE);
  });
  Atomics.store(ctl, READY, 1);
}

/**
 * Split ranges into two lists of about the same number of bytes, in
 * address order: the first for this thread, the second for the helper.
 */
export function splitRanges(ranges: readonly MemoryRange[]): [MemoryRange[], MemoryRange[]] {
  const total = ranges.reduce((n, r) => n + (r.end - r.start), 0);
  let left = Math.floor(total / 2 / 65536) * 65536;
  const mine: MemoryRange[] = [];
  const theirs: MemoryRange[] = [];
  for (const r of ranges) {
    const take = Math.min(left, r.end - r.start);
    if (take > 0) mine.push({ start: r.start, end: r.start + take });
    if (r.start + take < r.end) theirs.push({ start: r.start + take, end: r.end });
    left -= take;
  }
  return [mine, theirs];
}

/** The forking worker's side: copies with a helper where it pays. */
export class ParallelCopier {
  private port: CopyHelperPort | null = null;
  private ctl: Int32Array | null = null;
  private readonly ids = new WeakMap<WebAssembly.Memory, number>();
  private nextId = 1;
  /** Ids the current helper holds. */
  private held = new Set<number>();
  /** Copies the helper took half of: for tests and diagnostics. */
  helped = 0;

  /** start: a new helper thread, or null where the platform has none. */
  constructor(private readonly start: ((init: CopyHelperInit) => CopyHelperPort) | null) {}

  /** Copy ranges of from to the same addresses of to (both shared). */
  copy(from: WebAssembly.Memory, to: WebAssembly.Memory, ranges: readonly MemoryRange[]): void {
    const bytes = ranges.reduce((n, r) => n + (r.end - r.start), 0);
    const helper = bytes >= PARALLEL_COPY_MIN ? this.helper() : null;
    if (!helper) {
      copyRanges(from, to, ranges);
      return;
    }
    const [mine, theirs] = splitRanges(ranges);
    const ctl = helper.ctl;
    Atomics.store(ctl, STATE, POSTED);
    helper.port.post({ from: this.ref(from), to: this.ref(to), ranges: theirs });
    copyRanges(from, to, mine);
    if (this.await(ctl)) {
      this.helped++;
    } else {
      this.drop();
      copyRanges(from, to, theirs);
    }
  }

  /** Whether the helper copied its part; false when this side must. */
  private await(ctl: Int32Array): boolean {
    Atomics.wait(ctl, STATE, POSTED, CLAIM_WAIT_MS);
    if (Atomics.compareExchange(ctl, STATE, POSTED, REVOKED) === POSTED) return false;
    const deadline = performance.now() + COPY_WAIT_MS;
    let state = Atomics.load(ctl, STATE);
    while (state === CLAIMED) {
      const left = deadline - performance.now();
      if (left <= 0) throw new RangeError('fork copy: the copy helper stopped in a copy');
      Atomics.wait(ctl, STATE, CLAIMED, left);
      state = Atomics.load(ctl, STATE);
    }
    return state === DONE;
  }

  private ref(memory: WebAssembly.Memory): MemoryRef {
    let id = this.ids.get(memory);
    if (id === undefined) this.ids.set(memory, (id = this.nextId++));
    if (this.held.has(id)) return { id };
    this.held.add(id);
    return { id, memory };
  }

  /** The helper, ready to take a request; started (not waited for) if need be. */
  private helper(): { port: CopyHelperPort; ctl: Int32Array } | null {
    if (!this.start) return null;
    // Room for the two memories of this copy, or a fresh helper.
    if (this.held.size > HELPER_MEMORIES - 2) this.drop();
    if (!this.port || !this.ctl) {
      const ctl = new Int32Array(new SharedArrayBuffer(8));
      try {
        this.port = this.start({ ctl: ctl.buffer as SharedArrayBuffer });
      } catch {
        return null;
      }
      this.ctl = ctl;
      this.held = new Set();
    }
    // A helper starting up (a thread boots in tens of ms) helps next time.
    return Atomics.load(this.ctl, READY) === 1 ? { port: this.port, ctl: this.ctl } : null;
  }

  /** End the helper: it lets go of every memory it held. */
  private drop(): void {
    this.port?.terminate();
    this.port = null;
    this.ctl = null;
    this.held = new Set();
  }
}
