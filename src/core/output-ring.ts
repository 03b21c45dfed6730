// Console output from many workers to one reader, in order, through a
// SharedArrayBuffer.
//
// In Node a worker writes the console straight to fd 1. A browser worker
// has no such thing, and postMessage from several workers would not keep
// their order; so workers append to this ring (a lock keeps each write in
// one piece and the order in which the kernel made them), and the page's
// main thread drains it. A full ring makes the writer wait, so nothing is
// lost; a closed one (the page went away) swallows output.

const LOCK = 0;
const HEAD = 1; // bytes written, mod 2^32
const TAIL = 2; // bytes read, mod 2^32
const CLOSED = 3;
const DATA = 16;

export class OutputRing {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly data: Uint8Array;
  private readonly size: number;

  /** A new ring of `size` bytes (a power of two), or a view of an existing one. */
  constructor(bufferOrSize: SharedArrayBuffer | number) {
    this.buffer =
      typeof bufferOrSize === 'number' ? new SharedArrayBuffer(DATA + bufferOrSize) : bufferOrSize;
    this.size = this.buffer.byteLength - DATA;
    if (this.size <= 0 || (this.size & (this.size - 1)) !== 0) {
      throw new RangeError(`output ring size ${this.size} is not a power of two`);
    }
    this.i32 = new Int32Array(this.buffer, 0, DATA / 4);
    this.data = new Uint8Array(this.buffer, DATA, this.size);
  }

  /** Append all of bytes; waits (a worker may) while the ring is full. */
  write(bytes: Uint8Array): void {
    const i32 = this.i32;
    while (Atomics.compareExchange(i32, LOCK, 0, 1) !== 0) Atomics.wait(i32, LOCK, 1, 10);
    try {
      let off = 0;
      while (off < bytes.length) {
        if (Atomics.load(i32, CLOSED)) return;
        const head = Atomics.load(i32, HEAD) >>> 0;
        const tail = Atomics.load(i32, TAIL) >>> 0;
        const free = this.size - ((head - tail) >>> 0);
        if (free === 0) {
          Atomics.wait(i32, TAIL, tail | 0, 50);
          continue;
        }
        const at = head & (this.size - 1);
        const n = Math.min(free, bytes.length - off, this.size - at);
        this.data.set(bytes.subarray(off, off + n), at);
        off += n;
        Atomics.store(i32, HEAD, (head + n) | 0);
        Atomics.notify(i32, HEAD);
      }
    } finally {
      Atomics.store(i32, LOCK, 0);
      Atomics.notify(i32, LOCK, 1);
    }
  }

  /** Everything written since the last read (a copy), or null if nothing. */
  read(): Uint8Array | null {
    const i32 = this.i32;
    const head = Atomics.load(i32, HEAD) >>> 0;
    const tail = Atomics.load(i32, TAIL) >>> 0;
    const n = (head - tail) >>> 0;
    if (n === 0) return null;
    const out = new Uint8Array(n);
    const at = tail & (this.size - 1);
    const first = Math.min(n, this.size - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    Atomics.store(i32, TAIL, (tail + n) | 0);
    Atomics.notify(i32, TAIL);
    return out;
  }

  /**
   * Call onData with output as it arrives, until close(). Uses
   * Atomics.waitAsync where there is one, else polls every few ms.
   */
  drain(onData: (bytes: Uint8Array) => void): void {
    const i32 = this.i32;
    const step = (): void => {
      if (Atomics.load(i32, CLOSED)) return;
      const got = this.read();
      if (got) onData(got);
      const head = Atomics.load(i32, HEAD);
      const waitAsync = (
        Atomics as unknown as {
          waitAsync?: (
            a: Int32Array,
            i: number,
            v: number,
            t?: number,
          ) => { async: boolean; value: Promise<string> | string };
        }
      ).waitAsync;
      if (waitAsync) {
        const r = waitAsync(i32, HEAD, head, 1000);
        if (r.async) void (r.value as Promise<string>).then(step);
        else setTimeout(step, 0);
      } else {
        setTimeout(step, 4);
      }
    };
    step();
  }

  /** Stop draining; writers from now on drop their output instead of waiting. */
  close(): void {
    Atomics.store(this.i32, CLOSED, 1);
    Atomics.notify(this.i32, TAIL);
    Atomics.notify(this.i32, HEAD);
  }
}
