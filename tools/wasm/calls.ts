// The call graph of a wasm module: which functions each function calls
// directly, which function types it calls indirectly, and which functions
// can be called indirectly at all (those in element segments or named by
// ref.func). Used to decide what Asyncify must instrument for vfork
// (tools/wasm/asyncify-list.ts).
//
// Walking the code means knowing every instruction's immediates; this covers
// what clang and binaryen emit: MVP, sign extension, saturating truncation,
// bulk memory, reference types, multi-value, tail calls, SIMD (fixed and
// relaxed), threads, and both exception-handling encodings. Anything else
// is reported as a WasmFormatError rather than guessed at.

import { Cursor, WasmFormatError, type FuncType, type WasmModule } from '../../src/core/wasm/reader.js';

export interface CallGraph {
  /** Imported functions come first in the function index space. */
  readonly importedFunctions: number;
  /** Per defined function (index minus importedFunctions): direct callees. */
  readonly direct: readonly (readonly number[])[];
  /** Per defined function: the type indices of its indirect calls. */
  readonly indirect: readonly (readonly number[])[];
  /** Functions that may be called indirectly. */
  readonly addressTaken: ReadonlySet<number>;
}

/** Type indices whose signatures are equal (indirect calls check structurally). */
export function typeKey(t: FuncType): string {
  return `${t.params.join(',')}->${t.results.join(',')}`;
}

function memarg(c: Cursor): void {
  const align = c.u32();
  if (align & 0x40) c.u32(); // multi-memory: a memory index follows
  c.u32(); // offset (u64 for memory64; u32 LEB reads only up to 5 bytes)
}

function blockType(c: Cursor): void {
  c.s33();
}

/** Immediates of the 0xfd (SIMD) prefix, by sub-opcode. */
function simd(c: Cursor, sub: number, at: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) memarg(c);
  else if (sub === 12 || sub === 13) c.skip(16, 'v128 immediate');
  else if (sub >= 21 && sub <= 34)
    c.u8(); // extract/replace lane
  else if (sub >= 84 && sub <= 91) {
    memarg(c);
    c.u8(); // lane
  } else if (sub > 0x113) {
    throw new WasmFormatError(`unknown SIMD opcode 0xfd ${sub}`, at);
  }
}

function misc(c: Cursor, sub: number, at: number): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init data mem
    case 10: // memory.copy mem mem
    case 12: // table.init elem table
    case 14: // table.copy table table
      c.u32();
      c.u32();
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      c.u32();
      return;
    default:
      throw new WasmFormatError(`unknown opcode 0xfc ${sub}`, at);
  }
}

function atomic(c: Cursor, sub: number, at: number): void {
  if (sub === 3)
    c.u8(); // atomic.fence
  else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) memarg(c);
  else throw new WasmFormatError(`unknown atomic opcode 0xfe 0x${sub.toString(16)}`, at);
}

/**
 * Walk one function body's instructions, reporting calls, ref.func and
 * where each loop's body starts (the offset just after `loop blocktype`).
 */
export function walkBody(
  c: Cursor,
  onCall: (f: number) => void,
  onIndirect: (type: number) => void,
  onRefFunc: (f: number) => void,
  onLoop?: (bodyStart: number) => void,
): void {
  while (!c.atEnd()) {
    const at = c.pos;
    const op = c.u8();
    if (op >= 0x45 && op <= 0xc4) continue; // numeric, no immediates
    if (op >= 0x28 && op <= 0x3e) {
      memarg(c);
      continue;
    }
    switch (op) {
      case 0x00: // unreachable
      case 0x01: // nop
      case 0x05: // else
      case 0x0a: // throw_ref
      case 0x0b: // end
      case 0x0f: // return
      case 0x19: // catch_all
      case 0x1a: // drop
      case 0x1b: // select
      case 0xd1: // ref.is_null
        break;
      case 0x02: // block
      case 0x04: // if
      case 0x06: // try
        blockType(c);
        break;
      case 0x03: // loop
        blockType(c);
        onLoop?.(c.pos);
        break;
      case 0x07: // catch tag
      case 0x08: // throw tag
      case 0x09: // rethrow depth
      case 0x0c: // br
      case 0x0d: // br_if
      case 0x18: // delegate
      case 0x20: // local.get
      case 0x21: // local.set
      case 0x22: // local.tee
      case 0x23: // global.get
      case 0x24: // global.set
      case 0x25: // table.get
      case 0x26: // table.set
      case 0x3f: // memory.size
      case 0x40: // memory.grow
        c.u32();
        break;
      case 0x0e: {
        // br_table
        const n = c.count('br_table targets');
        for (let i = 0; i <= n; i++) c.u32();
        break;
      }
      case 0x10: // call
      case 0x12: // return_call
        onCall(c.u32());
        break;
      case 0x11: // call_indirect type table
      case 0x13: // return_call_indirect
        onIndirect(c.u32());
        c.u32();
        break;
      case 0x1c: {
        // select with types
        const n = c.count('select types');
        for (let i = 0; i < n; i++) c.valType();
        break;
      }
      case 0x1f: {
        // try_table blocktype vec(catch)
        blockType(c);
        const n = c.count('try_table catches');
        for (let i = 0; i < n; i++) {
          const kind = c.u8();
          if (kind < 2) c.u32(); // tag
          c.u32(); // label
        }
        break;
      }
      case 0x41:
        c.s32();
        break;
      case 0x42:
        c.s64();
        break;
      case 0x43:
        c.skip(4, 'f32.const');
        break;
      case 0x44:
        c.skip(8, 'f64.const');
        break;
      case 0xd0: // ref.null heaptype
        c.s33();
        break;
      case 0xd2: // ref.func
        onRefFunc(c.u32());
        break;
      case 0xfc:
        misc(c, c.u32(), at);
        break;
      case 0xfd:
        simd(c, c.u32(), at);
        break;
      case 0xfe:
        atomic(c, c.u32(), at);
        break;
      default:
        throw new WasmFormatError(`unknown opcode 0x${op.toString(16)}`, at);
    }
  }
}

/** Function indices named by the element segments. */
function elementFunctions(mod: WasmModule, out: Set<number>): void {
  const el = mod.elements;
  if (el === null) return;
  const c = new Cursor(mod.bytes, el.raw.start, el.raw.end);
  const none = (): void => {};
  // Segments of expressions hold `ref.func f` (or `ref.null`) each.
  const expressions = (): void => {
    const n = c.count('element expressions');
    for (let i = 0; i < n; i++) {
      const e = c.constExpr();
      walkBody(new Cursor(mod.bytes, e.range.start, e.range.end), none, none, (f) => out.add(f));
    }
  };
  const indices = (): void => {
    const n = c.count('element indices');
    for (let i = 0; i < n; i++) out.add(c.u32());
  };
  for (let s = 0; s < el.count; s++) {
    const at = c.pos;
    const flags = c.u32();
    if (flags > 7) throw new WasmFormatError(`unknown element segment flags ${flags}`, at);
    if ((flags & 3) === 2) c.u32(); // table index
    if ((flags & 1) === 0) c.constExpr(); // active: the offset
    if ((flags & 4) === 0) {
      if (flags !== 0) c.u8(); // elemkind
      indices();
    } else {
      if (flags !== 4) c.refType();
      expressions();
    }
  }
}

export function callGraph(mod: WasmModule): CallGraph {
  const importedFunctions = mod.imports.filter((i) => i.desc.kind === 'func').length;
  const addressTaken = new Set<number>();
  elementFunctions(mod, addressTaken);
  const direct: number[][] = [];
  const indirect: number[][] = [];
  for (const body of mod.code) {
    const calls = new Set<number>();
    const types = new Set<number>();
    walkBody(
      new Cursor(mod.bytes, body.code.start, body.code.end),
      (f) => calls.add(f),
      (t) => types.add(t),
      (f) => addressTaken.add(f),
    );
    direct.push([...calls]);
    indirect.push([...types]);
  }
  return { importedFunctions, direct, indirect, addressTaken };
}
