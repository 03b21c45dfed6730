// The host's side of the kernel's Ethernet device (arch/wasm/drivers/net.c).
//
// Two rings of frames in kernel memory (struct wasm_net in asm/host.h): the
// kernel writes tx, we take it and hand it to a FrameLink (passt in Node, a
// WebSocket relay in the browser); what the link delivers we write into rx
// and raise IRQ_NET. Neither side polls: a side that finds a ring empty (or
// full) sets a flag there, and the other side's next move wakes it. The
// kernel wakes us by notifying a ring word, which we wait on with
// Atomics.waitAsync; we wake the kernel with the interrupt.
//
// Backpressure runs end to end: a link that cannot take more stops our
// draining of tx, the kernel's queue stops when tx fills, and its sockets
// wait; a full rx pauses the link, which stops reading from passt.

import {
  cpuIrqPending,
  IRQ_NET,
  NET_FRAME_MAX,
  NET_LINK,
  NET_MAC,
  NET_MTU,
  NET_PRESENT,
  NET_RING_CONSUMER_IDLE,
  NET_RING_DATA,
  NET_RING_HEAD,
  NET_RING_PRODUCER_FULL,
  NET_RING_SIZE,
  NET_RING_TAIL,
  NET_RX,
  NET_TX,
  raiseIrq,
  type KernelSymbols,
} from './abi.js';

/** What a link tells the device. */
export interface FrameLinkHandlers {
  /** Frames from the network (each one Ethernet frame; the device may keep them). */
  frames(frames: readonly Uint8Array[]): void;
  /** The link takes frames again after send() returned false. */
  writable(): void;
  /** The link is gone for good (why, for the user). */
  closed(reason: string): void;
}

/** Where Ethernet frames go: passt, a relay, or anything else that carries them. */
export interface FrameLink {
  /** Called once, before anything else. */
  attach(handlers: FrameLinkHandlers): void;
  /**
   * Send frames. The views are valid only during the call (they may point
   * into kernel memory): copy what is kept. Returns false when the link
   * wants no more until handlers.writable().
   */
  send(frames: readonly Uint8Array[]): boolean;
  /** Stop delivering frames until resume(): the guest's ring is full. */
  pause(): void;
  resume(): void;
  close(): void;
}

/** How the guest's device is set up before boot. */
export interface NetDeviceConfig {
  /** The device's MTU (the link's largest frame less 14 bytes of header). */
  readonly mtu: number;
  /** The device's MAC address (6 bytes), or null for a random one. */
  readonly mac?: Uint8Array | null;
}

/** Frames and bytes each way, for benchmarks and diagnostics. */
export interface NetCounters {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames the link delivered that could not be a frame (too long, too short). */
  rxDropped: number;
  /** Waits that timed out with work there after all: a wake-up was lost. */
  txKicks: number;
  rxKicks: number;
}

const ETH_HLEN = 14;

/**
 * Bytes of frames held here, while rx is full, before the link is paused.
 * Pausing passt's stream makes passt drop frames (it does not block on a
 * full socket), which TCP then has to retransmit; what TCP has in flight is
 * bounded by the guest's windows anyway, so hold that much instead.
 */
const RX_QUEUE_HIGH = 8 << 20;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Write the device's configuration into kernel memory (the boot worker, before start_kernel). */
export function writeNetConfig(
  kview: DataView,
  symbols: KernelSymbols,
  cfg: NetDeviceConfig,
): void {
  const net = symbols.wasm_net;
  kview.setUint32(net + NET_PRESENT, 1, true);
  kview.setUint32(net + NET_LINK, 1, true);
  kview.setUint32(net + NET_MTU, cfg.mtu, true);
  if (cfg.mac && cfg.mac.length === 6) {
    for (let i = 0; i < 6; i++) kview.setUint8(net + NET_MAC + i, cfg.mac[i] as number);
  }
}

/**
 * Atomics.waitAsync where the engine has it (otherwise a short timer stands
 * in): null if the word no longer holds value, else a promise of whether
 * the wait timed out.
 */
function waitAsync(
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
): Promise<boolean> | null {
  const wa = (
    Atomics as unknown as {
      waitAsync?: (
        a: Int32Array,
        i: number,
        v: number,
        t: number,
      ) => { async: boolean; value: Promise<string> | string };
    }
  ).waitAsync;
  if (wa) {
    const r = wa(i32, index, value, timeoutMs);
    return r.async ? (r.value as Promise<string>).then((v) => v === 'timed-out') : null;
  }
  if (Atomics.load(i32, index) !== value) return null;
  return new Promise((resolve) => setTimeout(() => resolve(false), 1));
}

/**
 * How long we wait for the kernel before we look again ourselves. A wake-up
 * should never be lost, but if one is, the transfer stalls for this long
 * and not for good; kicks counts those (NetCounters).
 */
const TX_IDLE_RECHECK_MS = 250;
const RX_FULL_RECHECK_MS = 50;

export class NetHost {
  readonly counters: NetCounters = {
    txFrames: 0,
    txBytes: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxDropped: 0,
    txKicks: 0,
    rxKicks: 0,
  };
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  private readonly net: number;
  private readonly tx: number;
  private readonly rx: number;
  private readonly pending: number;
  private started = false;
  private stopped = false;
  /** The link refused more: tx waits for writable(). */
  private linkFull = false;
  /** The link is gone: tx is drained and dropped, so the guest never stalls on it. */
  private linkGone = false;
  private txWaiting = false;
  private rxWaiting = false;
  private linkPaused = false;
  /** Frames from the link that did not fit in rx yet, and their bytes. */
  private readonly rxQueue: Uint8Array[] = [];
  private rxQueued = 0;

  constructor(
    memory: WebAssembly.Memory,
    symbols: KernelSymbols,
    private readonly link: FrameLink,
    private readonly onClosed: (reason: string) => void = () => {},
    /** A lost wake-up was made up for (a bug worth reporting): which ring. */
    private readonly onKick: (ring: 'tx' | 'rx') => void = () => {},
  ) {
    this.i32 = new Int32Array(memory.buffer);
    this.u8 = new Uint8Array(memory.buffer);
    this.net = symbols.wasm_net;
    this.tx = symbols.wasm_net + NET_TX;
    this.rx = symbols.wasm_net + NET_RX;
    this.pending = cpuIrqPending(symbols.wasm_cpus, 0);
    link.attach({
      frames: (frames) => this.deliver(frames),
      writable: () => {
        this.linkFull = false;
        this.pumpTx();
      },
      closed: (reason) => this.linkClosed(reason),
    });
  }

  /** The rings' words and our own state, for diagnosing a stall. */
  describe(): string {
    const ring = (r: number): string =>
      `head ${this.load(r, NET_RING_HEAD)} tail ${this.load(r, NET_RING_TAIL)} ` +
      `idle ${this.load(r, NET_RING_CONSUMER_IDLE)} full ${this.load(r, NET_RING_PRODUCER_FULL)}`;
    return (
      `tx: ${ring(this.tx)}; rx: ${ring(this.rx)}; host: ` +
      `waiting tx ${this.txWaiting} rx ${this.rxWaiting}, link full ${this.linkFull} ` +
      `paused ${this.linkPaused} gone ${this.linkGone}, ${this.rxQueue.length} frames held; ` +
      `${JSON.stringify(this.counters)}`
    );
  }

  /** Kernel memory is initialised: the rings may be used from now on. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    // A link that went before the kernel was there: no carrier from the start.
    if (this.linkGone) this.linkDown();
    this.pumpTx();
    this.flushRx();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.link.close();
    // Settle our own waits, so that nothing is left pending.
    Atomics.notify(this.i32, this.word(this.tx, NET_RING_HEAD));
    Atomics.notify(this.i32, this.word(this.rx, NET_RING_TAIL));
  }

  private word(ring: number, field: number): number {
    return (ring + field) >> 2;
  }

  private load(ring: number, field: number): number {
    return Atomics.load(this.i32, this.word(ring, field)) >>> 0;
  }

  private store(ring: number, field: number, value: number): void {
    Atomics.store(this.i32, this.word(ring, field), value | 0);
  }

  private irq(): void {
    raiseIrq(this.i32, this.pending, IRQ_NET);
  }

  private linkClosed(reason: string): void {
    if (this.linkGone || this.stopped) return;
    this.linkGone = true;
    this.linkFull = false;
    this.rxQueue.length = 0;
    this.rxQueued = 0;
    if (this.started) {
      this.linkDown();
      this.pumpTx();
    }
    this.onClosed(reason);
  }

  /** Tell the kernel that its carrier is gone. */
  private linkDown(): void {
    Atomics.store(this.i32, (this.net + NET_LINK) >> 2, 0);
    this.irq();
  }

  /** Take every frame in tx and send it; then wait for more. */
  private pumpTx(): void {
    if (!this.started || this.stopped || this.txWaiting) return;
    const tx = this.tx;
    for (;;) {
      if (this.linkFull) return;
      const head = this.load(tx, NET_RING_HEAD);
      let tail = this.load(tx, NET_RING_TAIL);
      if (head === tail) {
        // Nothing: ask to be woken, then look once more (the kernel may
        // have written just before it could see the flag).
        this.store(tx, NET_RING_CONSUMER_IDLE, 1);
        if (this.load(tx, NET_RING_HEAD) !== head) {
          this.store(tx, NET_RING_CONSUMER_IDLE, 0);
          continue;
        }
        const wait = waitAsync(
          this.i32,
          this.word(tx, NET_RING_HEAD),
          head | 0,
          TX_IDLE_RECHECK_MS,
        );
        if (!wait) continue;
        this.txWaiting = true;
        void wait.then((timedOut) => {
          this.txWaiting = false;
          // Frames came and the kernel never took the idle flag to wake us.
          // (If it took it, its wake-up merely came after the timeout: on a
          // busy host the main thread may run the timeout late, and the
          // kernel then finds no one waiting; that is no loss.)
          if (
            timedOut &&
            this.load(tx, NET_RING_HEAD) !== head &&
            this.load(tx, NET_RING_CONSUMER_IDLE) !== 0
          ) {
            this.counters.txKicks++;
            this.onKick('tx');
          }
          this.store(tx, NET_RING_CONSUMER_IDLE, 0);
          this.pumpTx();
        });
        return;
      }
      const frames: Uint8Array[] = [];
      let bytes = 0;
      while (tail !== head) {
        const at = tail % NET_RING_SIZE;
        const len =
          this.u8[tx + NET_RING_DATA + at]! |
          (this.u8[tx + NET_RING_DATA + at + 1]! << 8) |
          (this.u8[tx + NET_RING_DATA + at + 2]! << 16) |
          (this.u8[tx + NET_RING_DATA + at + 3]! << 24);
        if (len < 0 || len > NET_FRAME_MAX || align4(4 + len) > (head - tail) >>> 0) {
          // The kernel never writes this; do not trust anything after it.
          tail = head;
          break;
        }
        frames.push(this.ringBytes(tx, (at + 4) % NET_RING_SIZE, len));
        bytes += len;
        tail = (tail + align4(4 + len)) >>> 0;
      }
      this.counters.txFrames += frames.length;
      this.counters.txBytes += bytes;
      const more = this.linkGone ? true : this.link.send(frames);
      // The frames are copied: give the room back, and restart a stopped queue.
      this.store(tx, NET_RING_TAIL, tail);
      if (Atomics.exchange(this.i32, this.word(tx, NET_RING_PRODUCER_FULL), 0)) this.irq();
      if (!more) this.linkFull = true;
    }
  }

  /** len bytes of a ring's data from offset at: a view, or a copy where it wraps. */
  private ringBytes(ring: number, at: number, len: number): Uint8Array {
    const base = ring + NET_RING_DATA;
    if (at + len <= NET_RING_SIZE) return this.u8.subarray(base + at, base + at + len);
    const out = new Uint8Array(len);
    const first = NET_RING_SIZE - at;
    out.set(this.u8.subarray(base + at, base + NET_RING_SIZE), 0);
    out.set(this.u8.subarray(base, base + len - first), first);
    return out;
  }

  private deliver(frames: readonly Uint8Array[]): void {
    if (this.stopped || this.linkGone) return;
    for (const f of frames) {
      if (f.length < ETH_HLEN || f.length > NET_FRAME_MAX) {
        this.counters.rxDropped++;
        continue;
      }
      this.rxQueue.push(f);
      this.rxQueued += f.length;
    }
    this.flushRx();
    if (this.rxQueued > RX_QUEUE_HIGH && !this.linkPaused) {
      this.linkPaused = true;
      this.link.pause();
    }
  }

  /** Move queued frames into rx as far as there is room; pause the link while there is none. */
  private flushRx(): void {
    if (!this.started || this.stopped || this.rxWaiting) return;
    const rx = this.rx;
    const base = rx + NET_RING_DATA;
    let written = false;
    for (;;) {
      let head = this.load(rx, NET_RING_HEAD);
      const tail = this.load(rx, NET_RING_TAIL);
      while (this.rxQueue.length > 0) {
        const f = this.rxQueue[0]!;
        const rec = align4(4 + f.length);
        if (NET_RING_SIZE - ((head - tail) >>> 0) < rec) break;
        const at = head % NET_RING_SIZE;
        const view = new DataView(this.u8.buffer, base + at, 4);
        view.setUint32(0, f.length, true);
        const data = (at + 4) % NET_RING_SIZE;
        const first = Math.min(f.length, NET_RING_SIZE - data);
        this.u8.set(first === f.length ? f : f.subarray(0, first), base + data);
        if (first < f.length) this.u8.set(f.subarray(first), base);
        head = (head + rec) >>> 0;
        this.rxQueue.shift();
        this.rxQueued -= f.length;
        this.counters.rxFrames++;
        this.counters.rxBytes += f.length;
        written = true;
      }
      if (written) {
        this.store(rx, NET_RING_HEAD, head);
        if (Atomics.exchange(this.i32, this.word(rx, NET_RING_CONSUMER_IDLE), 0)) this.irq();
        written = false;
      }
      if (this.rxQueue.length === 0) {
        if (this.linkPaused) {
          this.linkPaused = false;
          this.link.resume();
        }
        return;
      }
      // Full: ask the kernel to notify its tail, and look again.
      this.store(rx, NET_RING_PRODUCER_FULL, 1);
      if (this.load(rx, NET_RING_TAIL) !== tail) {
        this.store(rx, NET_RING_PRODUCER_FULL, 0);
        continue;
      }
      const wait = waitAsync(this.i32, this.word(rx, NET_RING_TAIL), tail | 0, RX_FULL_RECHECK_MS);
      if (!wait) continue;
      this.rxWaiting = true;
      void wait.then((timedOut) => {
        this.rxWaiting = false;
        if (timedOut && this.load(rx, NET_RING_TAIL) === tail) {
          // The kernel takes nothing: perhaps it never heard of these frames.
          this.counters.rxKicks++;
          this.onKick('rx');
          this.irq();
        }
        this.flushRx();
      });
      return;
    }
  }
}
