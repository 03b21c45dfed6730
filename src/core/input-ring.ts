// Feeding bytes from the host into one of the kernel's input rings (the
// console's, or /dev/host_stdin's): a head the host moves, a tail the kernel
// moves, both counting bytes, then an interrupt. What does not fit waits in a
// queue here and is retried shortly; the kernel drains the ring from its
// interrupt handler or its readers.

import { raiseIrq } from './abi.js';

/** Where a ring is in kernel memory and how to announce new bytes. */
export interface RingLayout {
  /** Address of the u32 head (the host's) and the u32 tail (the kernel's). */
  readonly head: number;
  readonly tail: number;
  /** Address of the u32 end-of-input flag, for rings that have one. */
  readonly eof: number | null;
  /** Address of the first data byte, and the data size (a power of two). */
  readonly data: number;
  readonly size: number;
  /** The irq_pending word of the CPU to interrupt, and the line to raise. */
  readonly pending: number;
  readonly irq: number;
}

/** Bytes queued beyond which the producer is asked to pause. */
const HIGH_WATER = 1 << 20;

export class RingFeeder {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ready = false;
  private closed = false;
  private drained: (() => void) | null = null;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly ring: RingLayout,
  ) {}

  /** Kernel memory is initialised: the ring may be written from now on. */
  start(): void {
    this.ready = true;
    this.pump();
  }

  /** Stop for good (the machine has stopped). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Queue bytes. Returns false when enough is queued that the producer should
   * pause until the callback given to onDrain runs.
   */
  push(bytes: Uint8Array): boolean {
    if (bytes.length > 0 && !this.ended) {
      this.queue.push(bytes);
      this.queued += bytes.length;
      this.pump();
    }
    return this.queued < HIGH_WATER;
  }

  /** No more input: the kernel sees end-of-file once the queue is through. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  onDrain(callback: () => void): void {
    this.drained = callback;
  }

  private pump(): void {
    if (!this.ready || this.closed) return;
    const r = this.ring;
    const i32 = new Int32Array(this.memory.buffer);
    const u8 = new Uint8Array(this.memory.buffer);
    let head = Atomics.load(i32, r.head >> 2) >>> 0;
    const tail = Atomics.load(i32, r.tail >> 2) >>> 0;
    let announce = false;
    while (this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const room = r.size - ((head - tail) >>> 0);
      if (room === 0) break;
      const n = Math.min(room, chunk.length);
      for (let i = 0; i < n; i++) u8[r.data + ((head + i) & (r.size - 1))] = chunk[i]!;
      head = (head + n) >>> 0;
      this.queued -= n;
      announce = true;
      if (n === chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(n);
    }
    if (announce) Atomics.store(i32, r.head >> 2, head | 0);
    if (this.ended && this.queue.length === 0 && r.eof !== null) {
      if (Atomics.exchange(i32, r.eof >> 2, 1) === 0) announce = true;
    }
    if (announce) raiseIrq(i32, r.pending, r.irq);
    if (this.queued < HIGH_WATER && this.drained) {
      const cb = this.drained;
      this.drained = null;
      cb();
    }
    if (this.queue.length > 0 && !this.timer) {
      // The ring is full: try again once the kernel has had time to drain it.
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, 2);
    }
  }
}
