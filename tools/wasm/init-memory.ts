// Recover where each data segment lands in linear memory.
//
// With --shared-memory every segment is passive, so its address exists only
// as an i32.const operand inside wasm-ld's synthesized __wasm_init_memory.
// We decode that function with a tiny abstract interpreter that tracks
// constant i32 values on the operand stack; it understands exactly the
// opcodes wasm-ld emits there and rejects anything else, so a change in
// wasm-ld's output shows up as a clear error instead of a wrong layout.

import { WasmFormatError } from '../../src/core/wasm/leb128.js';
import { Cursor, importCount, type FunctionBody, type WasmModule } from '../../src/core/wasm/reader.js';

export interface Placement {
  /** Data segment index, or -1 for a zero-filled (bss) range with no segment. */
  readonly segment: number;
  readonly name: string;
  readonly address: number;
  readonly size: number;
  readonly kind: 'init' | 'fill';
}

export const INIT_MEMORY_NAME = '__wasm_init_memory';

/**
 * Absolute function index of a function found by export name or, failing
 * that, by its name in the name section. Null if absent.
 */
export function findFunction(mod: WasmModule, name: string): number | null {
  for (const e of mod.exports) if (e.kind === 'func' && e.name === name) return e.index;
  if (mod.names !== null) {
    for (const [idx, n] of mod.names.functions) if (n === name) return idx;
  }
  return null;
}

/** Name of data segment i as recorded in the name section. */
export function segmentName(mod: WasmModule, i: number): string {
  return mod.names?.dataSegments.get(i) ?? `data[${i}]`;
}

/** Name given to the k-th memory.fill range: wasm-ld records no name for bss. */
function fillName(k: number): string {
  return k === 0 ? '.bss' : `.bss#${k}`;
}

type Value = number | null; // null = not a compile-time constant

interface Frame {
  readonly height: number;
  readonly results: number;
  unreachable: boolean;
}

class InitMemoryDecoder {
  private readonly c: Cursor;
  private readonly stack: Value[] = [];
  private readonly frames: Frame[] = [];
  private readonly placements: Placement[] = [];
  private readonly placed = new Set<number>();
  private fills = 0;
  private opAt = 0;

  constructor(
    private readonly mod: WasmModule,
    body: FunctionBody,
  ) {
    this.c = new Cursor(mod.bytes, body.code.start, body.code.end);
  }

  private fail(msg: string): never {
    throw new WasmFormatError(`${INIT_MEMORY_NAME}: ${msg}`, this.opAt);
  }

  private get frame(): Frame {
    const f = this.frames[this.frames.length - 1];
    if (f === undefined) return this.fail('instruction after the final end');
    return f;
  }

  private push(v: Value): void {
    this.stack.push(v);
  }

  private pop(): Value {
    const f = this.frame;
    if (this.stack.length > f.height) return this.stack.pop() as Value;
    // After br/return the stack is polymorphic: any pop is allowed.
    if (f.unreachable) return null;
    return this.fail('operand stack underflow');
  }

  private popConst(what: string): number {
    const v = this.pop();
    if (v === null) return this.fail(`${what} is not a constant`);
    return v;
  }

  private blockResults(): number {
    const b = this.c.bytes[this.c.pos];
    if (b === 0x40) {
      this.c.pos++;
      return 0;
    }
    if (b !== undefined && b >= 0x6f && b <= 0x7f) {
      this.c.valType();
      return 1;
    }
    const t = this.c.s33();
    const type =
      t >= 0n && t < BigInt(this.mod.types.length) ? this.mod.types[Number(t)] : undefined;
    if (type === undefined) return this.fail(`block type ${t} is undefined`);
    if (type.params.length !== 0) return this.fail('block with parameters is not supported');
    return type.results.length;
  }

  private memarg(): void {
    const align = this.c.u32();
    if ((align & 0x40) !== 0) this.c.u32(); // multi-memory index
    this.c.u32();
  }

  private memIndex(): void {
    const m = this.c.u32();
    if (m !== 0) this.fail(`memory index ${m} is not supported`);
  }

  private globalValue(idx: number): Value {
    const base = importCount(this.mod, 'global');
    if (idx < base) return null;
    const g = this.mod.globals[idx - base];
    if (g === undefined) return this.fail(`global ${idx} is undefined`);
    if (!g.type.mutable && g.init.kind === 'i32.const') return g.init.value;
    return null;
  }

  private markUnreachable(): void {
    const f = this.frame;
    this.stack.length = f.height;
    f.unreachable = true;
  }

  private binop(fn: (a: number, b: number) => number): void {
    const b = this.pop();
    const a = this.pop();
    this.push(a !== null && b !== null ? fn(a, b) | 0 : null);
  }

  private memoryInit(): void {
    const seg = this.c.u32();
    this.memIndex();
    const size = this.popConst(`memory.init ${seg} size`);
    const src = this.popConst(`memory.init ${seg} source offset`);
    const dest = this.popConst(`memory.init ${seg} destination`);
    const s = this.mod.data[seg];
    if (s === undefined) this.fail(`memory.init of undefined data segment ${seg}`);
    if (s.mode !== 'passive') this.fail(`memory.init of active data segment ${seg}`);
    if (src !== 0)
      this.fail(`memory.init of segment ${seg} starts at source offset ${src}, expected 0`);
    const len = s.bytes.end - s.bytes.start;
    if (size >>> 0 !== len)
      this.fail(`memory.init of segment ${seg} copies ${size >>> 0} bytes but it holds ${len}`);
    if (this.placed.has(seg)) this.fail(`data segment ${seg} is initialized twice`);
    this.placed.add(seg);
    this.placements.push({
      segment: seg,
      name: segmentName(this.mod, seg),
      address: dest >>> 0,
      size: len,
      kind: 'init',
    });
  }

  private memoryFill(): void {
    this.memIndex();
    const size = this.popConst('memory.fill size');
    const value = this.popConst('memory.fill value');
    const dest = this.popConst('memory.fill destination');
    if (value !== 0) this.fail(`memory.fill with non-zero value ${value}`);
    this.placements.push({
      segment: -1,
      name: fillName(this.fills++),
      address: dest >>> 0,
      size: size >>> 0,
      kind: 'fill',
    });
  }

  private prefixFC(): void {
    const sub = this.c.u32();
    switch (sub) {
      case 8:
        this.memoryInit();
        break;
      case 9: {
        const seg = this.c.u32();
        if (seg >= this.mod.data.length) this.fail(`data.drop of undefined data segment ${seg}`);
        break;
      }
      case 11:
        this.memoryFill();
        break;
      default:
        this.fail(`unsupported opcode 0xfc ${sub}`);
    }
  }

  private prefixFE(): void {
    const sub = this.c.u32();
    switch (sub) {
      case 0x00: // memory.atomic.notify addr count -> i32
        this.memarg();
        this.pop();
        this.pop();
        this.push(null);
        break;
      case 0x01: // memory.atomic.wait32 addr expected timeout -> i32
      case 0x02: // memory.atomic.wait64
        this.memarg();
        this.pop();
        this.pop();
        this.pop();
        this.push(null);
        break;
      case 0x03: {
        // atomic.fence
        const b = this.c.u8();
        if (b !== 0) this.fail(`atomic.fence with flags ${b}`);
        break;
      }
      case 0x10: // i32.atomic.load
        this.memarg();
        this.pop();
        this.push(null);
        break;
      case 0x17: // i32.atomic.store
        this.memarg();
        this.pop();
        this.pop();
        break;
      case 0x48: // i32.atomic.rmw.cmpxchg addr expected replacement -> i32
        this.memarg();
        this.pop();
        this.pop();
        this.pop();
        this.push(null);
        break;
      default:
        this.fail(`unsupported opcode 0xfe 0x${sub.toString(16)}`);
    }
  }

  /** Returns false once the function's final `end` has been consumed. */
  private step(): boolean {
    this.opAt = this.c.pos;
    const op = this.c.u8();
    switch (op) {
      case 0x00:
        this.markUnreachable();
        break; // unreachable
      case 0x01:
        break; // nop
      case 0x02: // block
      case 0x03: {
        // loop
        const results = this.blockResults();
        this.frames.push({ height: this.stack.length, results, unreachable: false });
        break;
      }
      case 0x04: {
        // if
        this.pop();
        const results = this.blockResults();
        this.frames.push({ height: this.stack.length, results, unreachable: false });
        break;
      }
      case 0x05: {
        // else: restart the frame for the other arm
        const f = this.frame;
        this.stack.length = f.height;
        f.unreachable = false;
        break;
      }
      case 0x0b: {
        // end
        const f = this.frames.pop();
        if (f === undefined) return this.fail('unbalanced end');
        this.stack.length = f.height;
        for (let i = 0; i < f.results; i++) this.push(null);
        return this.frames.length > 0;
      }
      case 0x0c:
        this.c.u32();
        this.markUnreachable();
        break; // br
      case 0x0d:
        this.c.u32();
        this.pop();
        break; // br_if
      case 0x0e: {
        // br_table
        const n = this.c.count('br_table');
        for (let i = 0; i <= n; i++) this.c.u32();
        this.pop();
        this.markUnreachable();
        break;
      }
      case 0x0f:
        this.markUnreachable();
        break; // return
      case 0x1a:
        this.pop();
        break; // drop
      case 0x20:
        this.c.u32();
        this.push(null);
        break; // local.get
      case 0x21:
        this.c.u32();
        this.pop();
        break; // local.set
      case 0x22:
        this.c.u32();
        this.pop();
        this.push(null);
        break; // local.tee
      case 0x23:
        this.push(this.globalValue(this.c.u32()));
        break; // global.get
      case 0x24:
        this.c.u32();
        this.pop();
        break; // global.set
      case 0x28:
        this.memarg();
        this.pop();
        this.push(null);
        break; // i32.load
      case 0x36:
        this.memarg();
        this.pop();
        this.pop();
        break; // i32.store
      case 0x41:
        this.push(this.c.s32());
        break; // i32.const
      case 0x42:
        this.c.s64();
        this.push(null);
        break; // i64.const
      case 0x6a:
        this.binop((a, b) => a + b);
        break; // i32.add (PIC: __memory_base + off)
      case 0x6b:
        this.binop((a, b) => a - b);
        break; // i32.sub
      case 0xfc:
        this.prefixFC();
        break;
      case 0xfe:
        this.prefixFE();
        break;
      default:
        this.fail(`unsupported opcode 0x${op.toString(16)}`);
    }
    return true;
  }

  decode(): Placement[] {
    this.frames.push({ height: 0, results: 0, unreachable: false });
    while (this.step()) {
      if (this.c.atEnd()) this.fail('function body ends inside a block');
    }
    if (!this.c.atEnd()) {
      throw new WasmFormatError(`${INIT_MEMORY_NAME}: bytes after the final end`, this.c.pos);
    }
    return this.placements;
  }
}

/**
 * Decode __wasm_init_memory into memory.init / memory.fill placements in
 * the order they execute. Returns null if the module has no such function.
 */
export function decodeInitMemory(mod: WasmModule): Placement[] | null {
  const fn = findFunction(mod, INIT_MEMORY_NAME);
  if (fn === null) return null;
  const imported = importCount(mod, 'func');
  const body = mod.code[fn - imported];
  if (fn < imported || body === undefined) {
    throw new WasmFormatError(`${INIT_MEMORY_NAME} (function ${fn}) is not a defined function`);
  }
  return new InitMemoryDecoder(mod, body).decode();
}

/**
 * Placements of every data segment whose address is known: active segments
 * from their offset expressions, passive ones (and bss fills) from
 * __wasm_init_memory. Passive segments that nothing places are omitted.
 */
export function segmentPlacements(mod: WasmModule): Placement[] {
  const out: Placement[] = [];
  for (const [i, s] of mod.data.entries()) {
    if (s.mode !== 'active') continue;
    if (s.memory !== 0)
      throw new WasmFormatError(
        `data segment ${i} targets memory ${s.memory}; only memory 0 is supported`,
      );
    if (s.offset.kind !== 'i32.const') {
      throw new WasmFormatError(
        `data segment ${i} (${segmentName(mod, i)}) has a non-constant offset (${s.offset.kind})`,
      );
    }
    out.push({
      segment: i,
      name: segmentName(mod, i),
      address: s.offset.value >>> 0,
      size: s.bytes.end - s.bytes.start,
      kind: 'init',
    });
  }
  const init = decodeInitMemory(mod);
  if (init !== null) out.push(...init);
  return out;
}
