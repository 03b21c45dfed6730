// The memories of user processes: made before execve()'s point of no
// return, and reused once their process is gone.
//
// Why reuse instead of leaving old memories to the garbage collector: V8
// reserves about 10 GiB of address space for every wasm memory (guard
// regions that let compiled code skip bounds checks), and a shared memory is
// freed only after every worker that ever held it has collected its
// reference. Workers spend their lives blocked inside the kernel and seldom
// collect, so a few thousand execs used to exhaust the 128 TiB of user
// address space, after which no new process could get a memory.
//
// Only the worker that made a memory may take it back: it alone knows the
// memory and the process id (mm->context.host_id) together, and one owner
// means a memory can never be handed to two processes. The kernel keeps a
// count of live mms per id slot (wasm_mm_live); a slot at zero proves that
// the process is gone, a nonzero one keeps the memory where it is.
//
// A reused memory must be zero where the next process does not overwrite
// it: all of it for a new program, the dead stack for a fork child. Reading
// the untouched pages to find the written ones costs about 0.1 ms for a small
// program's 8 MiB stack, a fifth of a whole fork: so a worker clears the
// memories it got back while it has nothing else to do (tidy(): before it
// blocks, and once its task is gone), and the next fork or execve takes one
// already clear.

import type { UserMemoryLimits } from './user-module.js';
import { moduleBytes, name, section, SECTION, uleb, vec } from './wasm-emit.js';

/** Memories of possibly-live processes this worker made and still tracks. */
const OWNED_MAX = 16;
/** Reusable memories kept per worker, in number and in bytes. */
const FREE_MAX = 2;
// A fork of a program with 64 MiB in use makes a 72 MiB copy (with the
// stack): reusing one saves the page faults of a new one (36 -> 14 ms).
const FREE_BYTES_MAX = 128 << 20;
/**
 * tidy() clears a memory up to this size whole; a larger one only where a
 * fork copy's stack was, since clearing 64 MiB that a copy overwrites anyway
 * would hold up a wake-up for milliseconds.
 */
const TIDY_WHOLE_MAX = 32 << 20;
/**
 * A fork with no clear memory at hand and a single used one makes a new
 * memory up to this size, and leaves the used one to tidy(): a loop of
 * forks then takes turns between two memories, each cleared while the
 * other's process runs (the one a child leaves comes back only at the next
 * fork). Otherwise it takes a used memory and clears its dead stack itself;
 * for a larger copy, a new memory would cost more in page faults.
 */
const FRESH_COPY_MAX = 32 << 20;

/** How much tidy() clears between two looks at whether to stop. */
const TIDY_SLICE = 1 << 20;

interface TidyJob {
  free: Free;
  /** What to clear: the whole memory, or where a stack was. */
  range: MemoryRange;
  /** Cleared up to here. */
  at: number;
}

/** What of a free memory is known to be zero. */
type Clear = 'all' | MemoryRange | null;

interface Tracked {
  memory: WebAssembly.Memory;
  limits: UserMemoryLimits;
  /** Where the stack of the program that uses or used it is, if known. */
  stack?: MemoryRange | undefined;
}

/** A memory no process uses. */
interface Free extends Tracked {
  clear: Clear;
}

/** A memory and the process it was made for. */
interface Owned extends Tracked {
  id: number;
}

/**
 * zero(at, end) makes [at, end) zero, page by page (4 KiB), writing only the
 * pages that are not zero already. Most of a process's memory is never
 * touched (an 8 MiB stack of which a few KiB are used): reading such a page
 * maps no memory, writing it would, so clearing a reused memory does not
 * make it resident. In wasm for speed (SIMD loads, memory.fill as memset;
 * TypedArray.fill on a shared buffer was 7x slower than memory.fill here).
 *
 *   (func (export "zero") (param $p i32) (param $end i32)
 *     (local $q i32) (local $stop i32)
 *     (block $done (loop $page
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $q (local.get $p))
 *       (local.set $stop (i32.add (local.get $p) (i32.const 4096)))
 *       (block $dirty
 *         (loop $word          ;; 64 bytes at a time: any bit set?
 *           (br_if $dirty (v128.any_true (v128.or
 *             (v128.or (v128.load (local.get $q)) (v128.load offset=16 (local.get $q)))
 *             (v128.or (v128.load offset=32 (local.get $q)) (v128.load offset=48 (local.get $q))))))
 *           (local.set $q (i32.add (local.get $q) (i32.const 64)))
 *           (br_if $word (i32.lt_u (local.get $q) (local.get $stop))))
 *         (local.set $p (local.get $stop))
 *         (br $page))
 *       (memory.fill (local.get $p) (i32.const 0) (i32.const 4096))
 *       (local.set $p (local.get $stop))
 *       (br $page))))
 */
const ZERO_BODY =
  '01027f02400340200020014f0d012000210220004180206a2103024003402002fd0004002002fd000410fd50' +
  '2002fd0004202002fd000430fd50fd50fd530d01200241c0006a210220022003490d000b200321000c010b20' +
  '004100418020fc0b00200321000c000b000b0b';

/**
 * A module of one function (i32, i32) -> () exported as fn, whose code is
 * body (hex), importing env.<name> memories with the given limits.
 */
function rangeModuleBytes(
  memories: readonly (readonly [string, readonly number[]])[],
  fn: string,
  body: string,
): Uint8Array<ArrayBuffer> {
  const code = Array.from(body.match(/../g) ?? [], (h) => parseInt(h, 16));
  return moduleBytes([
    section(SECTION.type, vec([[0x60, 2, 0x7f, 0x7f, 0]])), // (i32, i32) -> ()
    section(
      SECTION.import,
      vec(memories.map(([mem, limits]) => [...name('env'), ...name(mem), 0x02, ...limits])),
    ),
    section(SECTION.function, vec([[0]])),
    section(SECTION.export, vec([[...name(fn), 0x00, 0]])),
    section(SECTION.code, vec([[...uleb(code.length), ...code]])),
  ]);
}

// Memory limits: a shared import needs a maximum, and 65536 pages (LEB128
// 80 80 04) admits any; a private one takes none, so that any links.
const SHARED_LIMITS = [0x03, 0x00, 0x80, 0x80, 0x04] as const;
const PRIVATE_LIMITS = [0x00, 0x00] as const;

function zeroModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return rangeModuleBytes([['memory', shared ? SHARED_LIMITS : PRIVATE_LIMITS]], 'zero', ZERO_BODY);
}

const zeroModules = new Map<boolean, WebAssembly.Module>();
type Zero = (at: number, end: number) => void;
/** One instance per memory: tidy() clears a memory a slice at a time. */
const zeroers = new WeakMap<WebAssembly.Memory, Zero>();

const PAGE = 4096;

/**
 * Zero [at, end) of memory (all of it by default; both page-aligned)
 * without making its untouched pages resident.
 */
export function zeroMemory(
  memory: WebAssembly.Memory,
  shared: boolean,
  at = 0,
  end = memory.buffer.byteLength,
): void {
  if (at % PAGE !== 0 || end % PAGE !== 0) throw new RangeError('zeroMemory: unaligned range');
  let zero = zeroers.get(memory);
  if (!zero) {
    let module = zeroModules.get(shared);
    if (!module) {
      module = new WebAssembly.Module(zeroModuleBytes(shared));
      zeroModules.set(shared, module);
    }
    zero = new WebAssembly.Instance(module, { env: { memory } }).exports['zero'] as Zero;
    zeroers.set(memory, zero);
  }
  zero(at, end);
}

/**
 * copy(at, end) copies [at, end) of one shared memory to the same addresses
 * of another, with wasm's memory.copy between two memories (multi-memory)
 * in slices of 256 KiB. Why not TypedArray.set: on shared buffers V8 copies
 * with relaxed atomic stores, and a 64 MiB fork copy took 10 ms that way
 * against 6-7 ms here (Node 24, this host). Why slices: one 64 MiB
 * memory.copy took 9.3 ms in the same loop, likely as the C library's
 * memmove takes stores that bypass the cache for large sizes (in a loop of
 * forks, with the memories no longer in the cache, both took the same).
 *
 *   (import "env" "from" (memory 0 65536 shared))   ;; memory 0
 *   (import "env" "to" (memory 0 65536 shared))     ;; memory 1
 *   (func (export "copy") (param $p i32) (param $end i32) (local $n i32)
 *     (block $done (loop $slice
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $n (i32.sub (local.get $end) (local.get $p)))
 *       (if (i32.gt_u (local.get $n) (i32.const 0x40000))
 *         (then (local.set $n (i32.const 0x40000))))
 *       (memory.copy 1 0 (local.get $p) (local.get $p) (local.get $n))
 *       (local.set $p (i32.add (local.get $p) (local.get $n)))
 *       (br $slice))))
 */
const COPY_BODY =
  '01017f02400340200020014f0d01200120006b2102200241808010' +
  '4b04404180801021020b200020002002fc0a0100200020026a21000c000b0b0b';

function copyModuleBytes(): Uint8Array<ArrayBuffer> {
  return rangeModuleBytes(
    [
      ['from', SHARED_LIMITS],
      ['to', SHARED_LIMITS],
    ],
    'copy',
    COPY_BODY,
  );
}

/** The copier module, null where the engine has no multi-memory (Node 20). */
let copyModule: WebAssembly.Module | null | undefined;
/** One copier per pair of memories: forks in a loop copy between the same few. */
const copiers = new WeakMap<WebAssembly.Memory, WeakMap<WebAssembly.Memory, Zero>>();

/** Copy [at, end) of from to the same addresses in to (both shared). */
export function copyMemory(
  from: WebAssembly.Memory,
  to: WebAssembly.Memory,
  at: number,
  end: number,
): void {
  if (copyModule === undefined) {
    try {
      copyModule = new WebAssembly.Module(copyModuleBytes());
    } catch {
      copyModule = null;
    }
  }
  if (!copyModule) {
    new Uint8Array(to.buffer).set(new Uint8Array(from.buffer, at, end - at), at);
    return;
  }
  let byTarget = copiers.get(from);
  if (!byTarget) copiers.set(from, (byTarget = new WeakMap()));
  let copy = byTarget.get(to);
  if (!copy) {
    const env = { from, to };
    copy = new WebAssembly.Instance(copyModule, { env }).exports['copy'] as Zero;
    byTarget.set(to, copy);
  }
  copy(at, end);
}

/** Copies ranges of one memory to the same addresses of another. */
export interface RangeCopier {
  copy(from: WebAssembly.Memory, to: WebAssembly.Memory, ranges: readonly MemoryRange[]): void;
}

/** Copy each of ranges of from to the same addresses in to, on this thread. */
export function copyRanges(
  from: WebAssembly.Memory,
  to: WebAssembly.Memory,
  ranges: readonly MemoryRange[],
): void {
  for (const { start, end } of ranges) if (end > start) copyMemory(from, to, start, end);
}

/** A range of a memory, [start, end). */
export interface MemoryRange {
  start: number;
  end: number;
}

function covers(clear: Clear, range: MemoryRange): boolean {
  if (clear === 'all') return true;
  return clear !== null && clear.start <= range.start && range.end <= clear.end;
}

function sameLimits(a: UserMemoryLimits, b: UserMemoryLimits): boolean {
  return a.initial === b.initial && a.maximum === b.maximum && a.shared === b.shared;
}

function createUserMemory(limits: UserMemoryLimits): WebAssembly.Memory {
  const desc: WebAssembly.MemoryDescriptor = { initial: limits.initial, shared: limits.shared };
  if (limits.maximum !== undefined) desc.maximum = limits.maximum;
  else if (limits.shared) desc.maximum = limits.initial;
  return new WebAssembly.Memory(desc);
}

export class ProcessMemories {
  private readonly owned: Owned[] = [];
  private readonly free: Free[] = [];
  /** The memory tidy() is clearing, and how far it got. */
  private job: TidyJob | null = null;
  /** Memories handed out again instead of made: for tests and diagnostics. */
  reused = 0;

  /**
   * isLive(id): whether the process with that id may still exist.
   * copier: how a fork's ranges are copied (copy-helper.ts's
   * ParallelCopier, with a second thread); one thread by default.
   */
  constructor(
    private readonly isLive: (id: number) => boolean,
    private readonly copier: RangeCopier = { copy: copyRanges },
  ) {}

  /**
   * A zeroed memory for a new program: a reused one with the same limits,
   * or a new one. Throws (RangeError) when the host cannot make one.
   */
  acquire(limits: UserMemoryLimits): WebAssembly.Memory {
    const hit =
      this.takeFree(limits, (f) => f.clear === 'all') ?? this.takeFree(limits, () => true);
    if (hit) {
      if (hit.clear !== 'all') zeroMemory(hit.memory, limits.shared);
      return hit.memory;
    }
    return this.make(limits);
  }

  /** A free memory with these limits that passes test, taken off the list, if any. */
  private takeFree(limits: UserMemoryLimits, test: (f: Free) => boolean): Free | undefined {
    this.reclaim();
    // The latest first: its pages are the likeliest to be resident still.
    for (let i = this.free.length - 1; i >= 0; i--) {
      const f = this.free[i];
      if (!f || !sameLimits(f.limits, limits) || !test(f)) continue;
      this.free.splice(i, 1);
      if (this.job?.free === f) this.job = null;
      this.reused++;
      return f;
    }
    return undefined;
  }

  /**
   * Clear the memories that came back, as far as the next fork or execve
   * needs (see the top of this file), a slice at a time for as long as
   * more() says: returns whether all are done.
   */
  tidy(more: () => boolean = () => true): boolean {
    if (this.owned.length === 0 && this.job === null && this.free.every((f) => f.clear !== null)) {
      return true;
    }
    this.reclaim();
    for (;;) {
      const job = this.job ?? this.nextJob();
      if (!job) return true;
      if (!more()) return false;
      const end = Math.min(job.at + TIDY_SLICE, job.range.end);
      zeroMemory(job.free.memory, job.free.limits.shared, job.at, end);
      job.at = end;
      if (end === job.range.end) {
        const whole = job.range.start === 0 && job.range.end === job.free.memory.buffer.byteLength;
        job.free.clear = whole ? 'all' : job.range;
        this.job = null;
      }
    }
  }

  /** The next free memory to clear, and how much of it. */
  private nextJob(): TidyJob | null {
    for (const free of this.free) {
      if (free.clear !== null) continue;
      const bytes = free.memory.buffer.byteLength;
      if (bytes <= TIDY_WHOLE_MAX) {
        this.job = { free, range: { start: 0, end: bytes }, at: 0 };
      } else if (free.stack) {
        // Whole pages (what it clears beyond the stack is free memory too).
        const start = Math.floor(free.stack.start / PAGE) * PAGE;
        const end = Math.min(Math.ceil(free.stack.end / PAGE) * PAGE, bytes);
        this.job = { free, range: { start, end }, at: start };
      } else continue;
      return this.job;
    }
    return null;
  }

  private make(limits: UserMemoryLimits): WebAssembly.Memory {
    try {
      return createUserMemory(limits);
    } catch {
      // Let the collector have what we keep, then try once more: V8
      // collects garbage itself when a reservation fails.
      this.free.length = 0;
      return createUserMemory(limits);
    }
  }

  /**
   * A memory holding what memory holds now, at the same addresses and with
   * the same limits: a fork child's. Bytes in `dead` (dead stack) need not
   * be copied: they are zero in the copy. One of the same size whose process
   * is gone is reused (a loop of forks would otherwise make a memory each
   * time, and leave the collector far behind). Throws (RangeError) when the
   * host cannot make one.
   */
  copy(
    memory: WebAssembly.Memory,
    limits: UserMemoryLimits,
    dead?: MemoryRange,
  ): WebAssembly.Memory {
    const from = new Uint8Array(memory.buffer);
    // Whole pages only, inside the memory; the rest is copied.
    const start = dead ? Math.ceil(dead.start / PAGE) * PAGE : 0;
    const end = dead ? Math.min(Math.floor(dead.end / PAGE) * PAGE, from.length) : 0;
    const skip = { start, end: Math.max(start, end) };
    // Not larger than the original: the copy overwrites all of it but the
    // dead range, which alone needs zeroing (a larger one would leave old
    // bytes above).
    const fits = (f: Free): boolean => f.memory.buffer.byteLength <= from.length;
    const clear = (f: Free): boolean => skip.end === skip.start || covers(f.clear, skip);
    let hit = this.takeFree(limits, (f) => fits(f) && clear(f));
    const used = this.free.filter((f) => sameLimits(f.limits, limits) && fits(f)).length;
    if (!hit && (used > 1 || from.length > FRESH_COPY_MAX)) hit = this.takeFree(limits, fits);
    let copy: WebAssembly.Memory;
    if (hit) {
      copy = hit.memory;
      const pages = (from.length - copy.buffer.byteLength) / 65536;
      if (pages > 0) copy.grow(pages);
    } else copy = this.make({ ...limits, initial: from.length / 65536 });
    if (skip.end === skip.start) {
      this.copier.copy(memory, copy, [{ start: 0, end: from.length }]);
      return copy;
    }
    this.copier.copy(memory, copy, [
      { start: 0, end: skip.start },
      { start: skip.end, end: from.length },
    ]);
    // Mostly pages no one wrote since this memory was made: reading them is
    // cheap, and only written ones are cleared.
    if (hit && !clear(hit)) zeroMemory(copy, limits.shared, skip.start, skip.end);
    return copy;
  }

  /**
   * The memory now belongs to process id: take it back when that process is
   * gone. stack: where its program's stack is, for tidy().
   */
  adopt(
    id: number,
    memory: WebAssembly.Memory,
    limits: UserMemoryLimits,
    stack?: MemoryRange,
  ): void {
    this.owned.push({ id, memory, limits, stack });
    // Forgetting one only leaves it to the garbage collector.
    if (this.owned.length > OWNED_MAX) this.owned.shift();
  }

  /** A memory from acquire() that no process used after all (execve failed later). */
  giveBack(memory: WebAssembly.Memory, limits: UserMemoryLimits): void {
    // The failed execve() may have written to it: tidy() clears it.
    this.keep({ memory, limits, clear: null });
  }

  get counts(): { owned: number; free: number } {
    return { owned: this.owned.length, free: this.free.length };
  }

  /** Move the memories of processes that are gone to the free list. */
  private reclaim(): void {
    for (let i = this.owned.length - 1; i >= 0; i--) {
      const o = this.owned[i];
      if (!o || this.isLive(o.id)) continue;
      this.owned.splice(i, 1);
      this.keep({ memory: o.memory, limits: o.limits, clear: null, stack: o.stack });
    }
  }

  private keep(f: Free): void {
    // One that grew is reused too (most do: malloc grows the memory), at
    // its size: the next program is told where the memory it asked for
    // ends (AT_WASM_MEMTOP) and takes the zeroed rest as free memory. A
    // memory too big to keep is left to the collector.
    if (f.memory.buffer.byteLength > FREE_BYTES_MAX) return;
    this.free.push(f);
    let bytes = this.free.reduce((n, e) => n + e.memory.buffer.byteLength, 0);
    while (this.free.length > FREE_MAX || (bytes > FREE_BYTES_MAX && this.free.length > 0)) {
      const old = this.free.shift();
      if (this.job?.free === old) this.job = null;
      bytes -= old?.memory.buffer.byteLength ?? 0;
    }
  }
}
