// A small, strict WebAssembly (MVP + threads + bulk-memory) binary parser.
//
// It exists so the post-link step can recover the kernel image layout from
// what wasm-ld actually wrote, without depending on a third-party parser.
// Design rules:
//  * every read is bounds-checked against the enclosing section/subsection,
//    and every failure is a WasmFormatError with the offending offset;
//  * vector counts are checked against the bytes remaining before looping,
//    so a corrupt count cannot cause huge allocations or long loops;
//  * function bodies, element segments and data bytes are kept as byte
//    ranges into the original buffer rather than copied or decoded.

import { WasmFormatError, readSignedBig, readSigned32, readUnsigned } from './leb128.js';

export { WasmFormatError } from './leb128.js';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

/** A half-open byte range [start, end) in the module buffer. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface SectionInfo {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly headerStart: number;
  /** Payload range (after the size field). */
  readonly payload: ByteRange;
}

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface Limits {
  readonly initial: number;
  readonly maximum: number | null;
  readonly shared: boolean;
}

export interface TableType {
  readonly elemType: ValType;
  readonly limits: Limits;
}

export interface GlobalType {
  readonly valType: ValType;
  readonly mutable: boolean;
}

/**
 * A constant expression. `kind` names the single instruction when the
 * expression is exactly one of the simple forms; anything longer (e.g.
 * extended-const arithmetic) is 'other' and only its range is kept.
 */
export type ConstExpr =
  | { readonly kind: 'i32.const'; readonly value: number; readonly range: ByteRange }
  | { readonly kind: 'i64.const'; readonly value: bigint; readonly range: ByteRange }
  | { readonly kind: 'global.get'; readonly value: number; readonly range: ByteRange }
  | { readonly kind: 'other'; readonly range: ByteRange };

export type ImportDesc =
  | { readonly kind: 'func'; readonly typeIndex: number }
  | { readonly kind: 'table'; readonly type: TableType }
  | { readonly kind: 'memory'; readonly limits: Limits }
  | { readonly kind: 'global'; readonly type: GlobalType }
  /** An exception tag (the exception-handling proposal): its function type. */
  | { readonly kind: 'tag'; readonly typeIndex: number };

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly desc: ImportDesc;
}

export type ExternalKind = 'func' | 'table' | 'memory' | 'global' | 'tag';

export interface Export {
  readonly name: string;
  readonly kind: ExternalKind;
  readonly index: number;
}

export interface GlobalDef {
  readonly type: GlobalType;
  readonly init: ConstExpr;
}

export interface LocalGroup {
  readonly count: number;
  readonly type: ValType;
}

export interface FunctionBody {
  /** Whole body including the locals declarations. */
  readonly range: ByteRange;
  /** Instruction bytes only (after the locals), ending with the final `end`. */
  readonly code: ByteRange;
  readonly locals: readonly LocalGroup[];
}

export type DataSegment =
  | { readonly mode: 'passive'; readonly bytes: ByteRange }
  | {
      readonly mode: 'active';
      readonly memory: number;
      readonly offset: ConstExpr;
      readonly bytes: ByteRange;
    };

export interface CustomSection {
  readonly name: string;
  readonly headerStart: number;
  /** Payload after the name. */
  readonly payload: ByteRange;
  /** Whole section including id and size (for removal/rewriting). */
  readonly whole: ByteRange;
}

export interface NameSection {
  readonly moduleName: string | null;
  readonly functions: ReadonlyMap<number, string>;
  readonly globals: ReadonlyMap<number, string>;
  readonly dataSegments: ReadonlyMap<number, string>;
}

export interface ElementSection {
  readonly count: number;
  /** Raw bytes of all element segments (after the count). */
  readonly raw: ByteRange;
}

export interface WasmModule {
  readonly bytes: Uint8Array;
  readonly sections: readonly SectionInfo[];
  readonly types: readonly FuncType[];
  readonly imports: readonly Import[];
  /** Type index of each *defined* function (function section). */
  readonly functions: readonly number[];
  readonly tables: readonly TableType[];
  readonly memories: readonly Limits[];
  readonly globals: readonly GlobalDef[];
  readonly exports: readonly Export[];
  readonly start: number | null;
  readonly elements: ElementSection | null;
  readonly dataCount: number | null;
  readonly code: readonly FunctionBody[];
  readonly data: readonly DataSegment[];
  readonly customs: readonly CustomSection[];
  readonly names: NameSection | null;
}

const VAL_TYPES: ReadonlyMap<number, ValType> = new Map<number, ValType>([
  [0x7f, 'i32'],
  [0x7e, 'i64'],
  [0x7d, 'f32'],
  [0x7c, 'f64'],
  [0x7b, 'v128'],
  [0x70, 'funcref'],
  [0x6f, 'externref'],
]);

const SECTION_NAMES: readonly string[] = [
  'custom',
  'type',
  'import',
  'function',
  'table',
  'memory',
  'global',
  'export',
  'start',
  'element',
  'code',
  'data',
  'datacount',
  'tag',
];

/**
 * Required relative order of the non-custom sections. datacount (12) sits
 * between element and code, and tag (13) between memory and global.
 */
const SECTION_ORDER: ReadonlyMap<number, number> = new Map<number, number>([
  [1, 1],
  [2, 2],
  [3, 3],
  [4, 4],
  [5, 5],
  [13, 6],
  [6, 7],
  [7, 8],
  [8, 9],
  [9, 10],
  [12, 11],
  [10, 12],
  [11, 13],
]);

export function sectionName(id: number): string {
  return SECTION_NAMES[id] ?? `unknown(${id})`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A bounds-checked cursor over bytes[pos, end). */
export class Cursor {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, pos: number, end: number) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new WasmFormatError('unexpected end of data', this.pos);
    return this.bytes[this.pos++] as number;
  }

  u32(): number {
    const d = readUnsigned(this.bytes, this.pos, this.end, 32);
    this.pos = d.next;
    return d.value;
  }

  s32(): number {
    const d = readSigned32(this.bytes, this.pos, this.end);
    this.pos = d.next;
    return d.value;
  }

  s33(): bigint {
    const d = readSignedBig(this.bytes, this.pos, this.end, 33);
    this.pos = d.next;
    return d.value;
  }

  s64(): bigint {
    const d = readSignedBig(this.bytes, this.pos, this.end, 64);
    this.pos = d.next;
    return d.value;
  }

  /** Skip n bytes, returning their range. */
  skip(n: number, what: string): ByteRange {
    if (n > this.remaining) {
      throw new WasmFormatError(
        `${what}: ${n} bytes needed but only ${this.remaining} remain`,
        this.pos,
      );
    }
    const start = this.pos;
    this.pos += n;
    return { start, end: this.pos };
  }

  /** Read a vector count, rejecting counts that cannot fit in what remains. */
  count(what: string, minItemSize: number = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minItemSize > this.remaining) {
      throw new WasmFormatError(
        `${what} count ${n} exceeds the remaining ${this.remaining} bytes`,
        at,
      );
    }
    return n;
  }

  name(what: string): string {
    const len = this.u32();
    const r = this.skip(len, what);
    try {
      return utf8.decode(this.bytes.subarray(r.start, r.end));
    } catch {
      throw new WasmFormatError(`${what} is not valid UTF-8`, r.start);
    }
  }

  valType(): ValType {
    const at = this.pos;
    const b = this.u8();
    const t = VAL_TYPES.get(b);
    if (t === undefined) throw new WasmFormatError(`unknown value type 0x${b.toString(16)}`, at);
    return t;
  }

  refType(): ValType {
    const at = this.pos;
    const t = this.valType();
    if (t !== 'funcref' && t !== 'externref')
      throw new WasmFormatError(`expected a reference type, got ${t}`, at);
    return t;
  }

  limits(allowShared: boolean): Limits {
    const at = this.pos;
    const flags = this.u8();
    if (flags > 3 || (!allowShared && flags > 1)) {
      throw new WasmFormatError(`unsupported limits flags 0x${flags.toString(16)}`, at);
    }
    const initial = this.u32();
    const maximum = (flags & 1) !== 0 ? this.u32() : null;
    const shared = (flags & 2) !== 0;
    if (maximum !== null && maximum < initial) {
      throw new WasmFormatError(`limits maximum ${maximum} is below initial ${initial}`, at);
    }
    if (shared && maximum === null)
      throw new WasmFormatError('shared memory must have a maximum', at);
    return { initial, maximum, shared };
  }

  globalType(): GlobalType {
    const valType = this.valType();
    const at = this.pos;
    const m = this.u8();
    if (m > 1) throw new WasmFormatError(`invalid global mutability 0x${m.toString(16)}`, at);
    return { valType, mutable: m === 1 };
  }

  /**
   * A constant expression up to and including its `end`. Accepts the MVP
   * constant instructions plus extended-const arithmetic, which wasm-ld
   * emits for PIC; the latter is reported as kind 'other'.
   */
  constExpr(): ConstExpr {
    const start = this.pos;
    // The first instruction, remembered in case it turns out to be the only one.
    let firstOp = -1;
    let firstI32 = 0;
    let firstI64 = 0n;
    let firstGlobal = 0;
    let instrs = 0;
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      if (op === 0x0b) break;
      if (instrs++ === 0) firstOp = op;
      switch (op) {
        case 0x41:
          firstI32 = this.s32();
          break;
        case 0x42:
          firstI64 = this.s64();
          break;
        case 0x43:
          this.skip(4, 'f32.const');
          break;
        case 0x44:
          this.skip(8, 'f64.const');
          break;
        case 0x23:
          firstGlobal = this.u32();
          break;
        case 0xd0:
          this.refType();
          break;
        case 0xd2:
          this.u32();
          break;
        case 0x6a:
        case 0x6b:
        case 0x6c: // i32.add/sub/mul (extended-const)
        case 0x7c:
        case 0x7d:
        case 0x7e: // i64.add/sub/mul
          break;
        default:
          throw new WasmFormatError(
            `unsupported opcode 0x${op.toString(16)} in constant expression`,
            at,
          );
      }
    }
    const range = { start, end: this.pos };
    // Values are only meaningful when the expression is a single instruction;
    // later instructions of the same opcode overwrite them, which is harmless
    // because such expressions are classified as 'other'.
    if (instrs === 1) {
      if (firstOp === 0x41) return { kind: 'i32.const', value: firstI32, range };
      if (firstOp === 0x42) return { kind: 'i64.const', value: firstI64, range };
      if (firstOp === 0x23) return { kind: 'global.get', value: firstGlobal, range };
    }
    return { kind: 'other', range };
  }
}

function expectConsumed(c: Cursor, what: string): void {
  if (c.pos !== c.end) {
    throw new WasmFormatError(`${what}: ${c.end - c.pos} unexpected trailing bytes`, c.pos);
  }
}

/** Validate magic and version; returns the offset of the first section. */
export function checkHeader(bytes: Uint8Array): number {
  if (bytes.length < 8) {
    throw new WasmFormatError(
      `truncated module: ${bytes.length} bytes is shorter than the 8-byte header`,
      0,
    );
  }
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('bad magic: not a WebAssembly binary (expected \\0asm)', 0);
  }
  const version =
    ((bytes[4] as number) |
      ((bytes[5] as number) << 8) |
      ((bytes[6] as number) << 16) |
      ((bytes[7] as number) << 24)) >>>
    0;
  if (version !== 1)
    throw new WasmFormatError(`unsupported WebAssembly version ${version} (expected 1)`, 4);
  return 8;
}

/**
 * Walk the section headers only (no payload decoding). Checks that every
 * section fits in the buffer; used by tools that only splice sections.
 */
export function scanSections(bytes: Uint8Array): SectionInfo[] {
  const c = new Cursor(bytes, checkHeader(bytes), bytes.length);
  const out: SectionInfo[] = [];
  while (!c.atEnd()) {
    const headerStart = c.pos;
    const id = c.u8();
    const sizeAt = c.pos;
    const size = c.u32();
    if (size > c.remaining) {
      throw new WasmFormatError(
        `${sectionName(id)} section size ${size} overruns the module (${c.remaining} bytes remain)`,
        sizeAt,
      );
    }
    const payload = c.skip(size, 'section');
    out.push({ id, headerStart, payload });
  }
  return out;
}

interface MutableModule {
  types: FuncType[];
  imports: Import[];
  functions: number[];
  tables: TableType[];
  memories: Limits[];
  globals: GlobalDef[];
  exports: Export[];
  start: number | null;
  elements: ElementSection | null;
  dataCount: number | null;
  code: FunctionBody[];
  data: DataSegment[];
  customs: CustomSection[];
  names: NameSection | null;
}

const EXTERNAL_KINDS: readonly ExternalKind[] = ['func', 'table', 'memory', 'global', 'tag'];

function parseTypes(c: Cursor, m: MutableModule): void {
  const n = c.count('type');
  for (let i = 0; i < n; i++) {
    const at = c.pos;
    const form = c.u8();
    if (form !== 0x60)
      throw new WasmFormatError(`unsupported type form 0x${form.toString(16)}`, at);
    const params: ValType[] = [];
    const np = c.count('param');
    for (let j = 0; j < np; j++) params.push(c.valType());
    const results: ValType[] = [];
    const nr = c.count('result');
    for (let j = 0; j < nr; j++) results.push(c.valType());
    m.types.push({ params, results });
  }
}

function parseImports(c: Cursor, imports: Import[]): void {
  const n = c.count('import', 4);
  for (let i = 0; i < n; i++) {
    const module = c.name('import module name');
    const name = c.name('import field name');
    const at = c.pos;
    const kind = c.u8();
    let desc: ImportDesc;
    switch (kind) {
      case 0:
        desc = { kind: 'func', typeIndex: c.u32() };
        break;
      case 1: {
        const elemType = c.refType();
        desc = { kind: 'table', type: { elemType, limits: c.limits(false) } };
        break;
      }
      case 2:
        desc = { kind: 'memory', limits: c.limits(true) };
        break;
      case 3:
        desc = { kind: 'global', type: c.globalType() };
        break;
      case 4: {
        const attrAt = c.pos;
        if (c.u8() !== 0)
          throw new WasmFormatError(`unsupported tag attribute for ${module}.${name}`, attrAt);
        desc = { kind: 'tag', typeIndex: c.u32() };
        break;
      }
      default:
        throw new WasmFormatError(`unsupported import kind ${kind} for ${module}.${name}`, at);
    }
    imports.push({ module, name, desc });
  }
}

/**
 * Only the imports, without parsing the rest: what an exec needs to know of
 * a program that WebAssembly.Module.imports() does not say (memory limits).
 */
export function readImports(bytes: Uint8Array): readonly Import[] {
  const section = scanSections(bytes).find((s) => s.id === 2);
  if (!section) return [];
  const c = new Cursor(bytes, section.payload.start, section.payload.end);
  const imports: Import[] = [];
  parseImports(c, imports);
  expectConsumed(c, 'import section');
  return imports;
}

function parseFunctions(c: Cursor, m: MutableModule): void {
  const n = c.count('function');
  for (let i = 0; i < n; i++) m.functions.push(c.u32());
}

function parseTables(c: Cursor, m: MutableModule): void {
  const n = c.count('table', 2);
  for (let i = 0; i < n; i++) {
    const elemType = c.refType();
    m.tables.push({ elemType, limits: c.limits(false) });
  }
}

function parseMemories(c: Cursor, m: MutableModule): void {
  const n = c.count('memory', 2);
  for (let i = 0; i < n; i++) m.memories.push(c.limits(true));
}

function parseGlobals(c: Cursor, m: MutableModule): void {
  const n = c.count('global', 3);
  for (let i = 0; i < n; i++) {
    const type = c.globalType();
    m.globals.push({ type, init: c.constExpr() });
  }
}

function parseExports(c: Cursor, m: MutableModule): void {
  const n = c.count('export', 3);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const at = c.pos;
    const name = c.name('export name');
    const kindAt = c.pos;
    const k = c.u8();
    const kind = EXTERNAL_KINDS[k];
    if (kind === undefined)
      throw new WasmFormatError(`unknown export kind ${k} for "${name}"`, kindAt);
    if (seen.has(name)) throw new WasmFormatError(`duplicate export "${name}"`, at);
    seen.add(name);
    m.exports.push({ name, kind, index: c.u32() });
  }
}

function parseCode(c: Cursor, m: MutableModule): void {
  const n = c.count('code', 2);
  for (let i = 0; i < n; i++) {
    const sizeAt = c.pos;
    const size = c.u32();
    if (size === 0) throw new WasmFormatError(`function body ${i} is empty`, sizeAt);
    const range = c.skip(size, `function body ${i}`);
    const body = new Cursor(c.bytes, range.start, range.end);
    const groups = body.count(`function ${i} locals`, 2);
    const locals: LocalGroup[] = [];
    let total = 0;
    for (let j = 0; j < groups; j++) {
      const at = body.pos;
      const count = body.u32();
      total += count;
      // Engines reject more than 50000 locals; a larger total means corruption.
      if (total > 50000)
        throw new WasmFormatError(`function ${i} declares too many locals (${total})`, at);
      locals.push({ count, type: body.valType() });
    }
    if (body.atEnd() || c.bytes[range.end - 1] !== 0x0b) {
      throw new WasmFormatError(
        `function body ${i} does not end with an end opcode`,
        range.end - 1,
      );
    }
    m.code.push({ range, code: { start: body.pos, end: range.end }, locals });
  }
}

function parseData(c: Cursor, m: MutableModule): void {
  const n = c.count('data segment');
  for (let i = 0; i < n; i++) {
    const at = c.pos;
    const flags = c.u32();
    if (flags === 1) {
      const len = c.u32();
      m.data.push({ mode: 'passive', bytes: c.skip(len, `data segment ${i}`) });
    } else if (flags === 0 || flags === 2) {
      const memory = flags === 2 ? c.u32() : 0;
      const offset = c.constExpr();
      const len = c.u32();
      m.data.push({ mode: 'active', memory, offset, bytes: c.skip(len, `data segment ${i}`) });
    } else {
      throw new WasmFormatError(`unsupported data segment flags ${flags} (segment ${i})`, at);
    }
  }
}

function parseNameMap(c: Cursor, what: string): Map<number, string> {
  const map = new Map<number, string>();
  const n = c.count(what, 2);
  for (let i = 0; i < n; i++) {
    const idx = c.u32();
    map.set(idx, c.name(what));
  }
  return map;
}

/** Decode the "name" custom section payload. Unknown subsections are skipped. */
export function parseNameSection(bytes: Uint8Array, payload: ByteRange): NameSection {
  const c = new Cursor(bytes, payload.start, payload.end);
  let moduleName: string | null = null;
  let functions = new Map<number, string>();
  let globals = new Map<number, string>();
  let dataSegments = new Map<number, string>();
  while (!c.atEnd()) {
    const id = c.u8();
    const size = c.u32();
    const r = c.skip(size, `name subsection ${id}`);
    const sub = new Cursor(bytes, r.start, r.end);
    switch (id) {
      case 0:
        moduleName = sub.name('module name');
        expectConsumed(sub, 'module name subsection');
        break;
      case 1:
        functions = parseNameMap(sub, 'function name');
        expectConsumed(sub, 'function names subsection');
        break;
      case 7:
        globals = parseNameMap(sub, 'global name');
        expectConsumed(sub, 'global names subsection');
        break;
      case 9:
        dataSegments = parseNameMap(sub, 'data segment name');
        expectConsumed(sub, 'data segment names subsection');
        break;
      default:
        break; // locals, labels, types, ...: not needed here
    }
  }
  return { moduleName, functions, globals, dataSegments };
}

/** Parse a complete module. Throws WasmFormatError on any malformation. */
export function readModule(bytes: Uint8Array): WasmModule {
  const sections = scanSections(bytes);
  const m: MutableModule = {
    types: [],
    imports: [],
    functions: [],
    tables: [],
    memories: [],
    globals: [],
    exports: [],
    start: null,
    elements: null,
    dataCount: null,
    code: [],
    data: [],
    customs: [],
    names: null,
  };
  let lastOrder = 0;
  for (const s of sections) {
    const c = new Cursor(bytes, s.payload.start, s.payload.end);
    if (s.id === 0) {
      const name = c.name('custom section name');
      const custom: CustomSection = {
        name,
        headerStart: s.headerStart,
        payload: { start: c.pos, end: s.payload.end },
        whole: { start: s.headerStart, end: s.payload.end },
      };
      m.customs.push(custom);
      if (name === 'name' && m.names === null) m.names = parseNameSection(bytes, custom.payload);
      continue;
    }
    const order = SECTION_ORDER.get(s.id);
    if (order === undefined) throw new WasmFormatError(`unknown section id ${s.id}`, s.headerStart);
    if (order <= lastOrder) {
      throw new WasmFormatError(
        `${sectionName(s.id)} section is duplicated or out of order`,
        s.headerStart,
      );
    }
    lastOrder = order;
    switch (s.id) {
      case 1:
        parseTypes(c, m);
        break;
      case 2:
        parseImports(c, m.imports);
        break;
      case 3:
        parseFunctions(c, m);
        break;
      case 4:
        parseTables(c, m);
        break;
      case 5:
        parseMemories(c, m);
        break;
      case 6:
        parseGlobals(c, m);
        break;
      case 7:
        parseExports(c, m);
        break;
      case 8:
        m.start = c.u32();
        break;
      case 9: {
        const count = c.u32();
        m.elements = { count, raw: c.skip(c.remaining, 'element section') };
        break;
      }
      case 10:
        parseCode(c, m);
        break;
      case 11:
        parseData(c, m);
        break;
      case 12:
        m.dataCount = c.u32();
        break;
      case 13:
        c.skip(c.remaining, 'tag section');
        break; // not used by the kernel; kept as a range only
      default:
        break;
    }
    expectConsumed(c, `${sectionName(s.id)} section`);
  }
  if (m.functions.length !== m.code.length) {
    throw new WasmFormatError(
      `function section declares ${m.functions.length} functions but code section has ${m.code.length} bodies`,
    );
  }
  if (m.dataCount !== null && m.dataCount !== m.data.length) {
    throw new WasmFormatError(
      `datacount ${m.dataCount} does not match ${m.data.length} data segments`,
    );
  }
  for (const [i, t] of m.functions.entries()) {
    if (t >= m.types.length) throw new WasmFormatError(`function ${i} uses undefined type ${t}`);
  }
  return { bytes, sections, ...m };
}

/** Number of imported entities of a given kind (they precede defined ones in the index space). */
export function importCount(mod: WasmModule, kind: ImportDesc['kind']): number {
  let n = 0;
  for (const imp of mod.imports) if (imp.desc.kind === kind) n++;
  return n;
}
