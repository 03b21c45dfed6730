// The kernel image layout as recovered from a linked wasm binary, and the
// checks that stand in for a linker script.
//
// wasm-ld cannot be told where to put things, so the kernel instead puts a
// zero-size marker symbol first in each named output segment and relies on
// the segments coming out in a particular order. checkRegion() verifies
// after the fact that this worked: the named segments form one contiguous
// run, nothing foreign sits inside it, and the exported boundary symbols
// point where the kernel's C code will expect them.

import { segmentPlacements } from './init-memory.js';
import { importCount, readModule, type ExternalKind, type WasmModule } from '../../src/core/wasm/reader.js';

/** A layout rule of the image is violated (or a needed symbol is missing). */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

export interface LayoutSegment {
  readonly name: string;
  readonly address: number;
  readonly size: number;
  readonly kind: 'init' | 'fill';
}

export interface LayoutImport {
  readonly module: string;
  readonly name: string;
  readonly kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
}

export interface LayoutExport {
  readonly name: string;
  readonly kind: ExternalKind;
  readonly index: number;
}

export interface MemoryLayout {
  /** In 64 KiB pages. */
  readonly initial: number;
  readonly maximum: number | null;
  readonly shared: boolean;
}

export interface ImageLayout {
  /** Sorted by address; ties keep wasm-ld's output order (relevant for zero-size markers). */
  readonly segments: readonly LayoutSegment[];
  /** Exported immutable i32 globals (addresses of exported data symbols), by export name. */
  readonly globals: Readonly<Record<string, number>>;
  readonly imports: readonly LayoutImport[];
  readonly exports: readonly LayoutExport[];
  readonly memory: MemoryLayout;
  /** Initial size of table 0 (imported or defined); 0 if there is none. */
  readonly tableSize: number;
  /** Size of the function index space: imported plus defined functions. */
  readonly functionCount: number;
}

export interface RegionSpec {
  readonly name: string;
  /** Export name of the symbol marking the region start. */
  readonly start: string;
  /** Export name of the symbol marking the region end. */
  readonly end: string;
  /** Output segment names in the order they must appear; absent ones are skipped. */
  readonly segments: readonly string[];
  /** Exported symbol -> segment whose first byte it must address. */
  readonly markers?: Readonly<Record<string, string>>;
}

export interface RegionBounds {
  readonly start: number;
  readonly end: number;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function exportedConstGlobals(mod: WasmModule): Record<string, number> {
  const base = importCount(mod, 'global');
  const out: Record<string, number> = {};
  for (const e of mod.exports) {
    if (e.kind !== 'global' || e.index < base) continue;
    const g = mod.globals[e.index - base];
    if (
      g === undefined ||
      g.type.mutable ||
      g.type.valType !== 'i32' ||
      g.init.kind !== 'i32.const'
    )
      continue;
    out[e.name] = g.init.value >>> 0; // addresses are unsigned
  }
  return out;
}

function memoryOf(mod: WasmModule): MemoryLayout {
  for (const imp of mod.imports) if (imp.desc.kind === 'memory') return { ...imp.desc.limits };
  const m = mod.memories[0];
  if (m === undefined) throw new LayoutError('module has no linear memory');
  return { ...m };
}

function tableSizeOf(mod: WasmModule): number {
  for (const imp of mod.imports) if (imp.desc.kind === 'table') return imp.desc.type.limits.initial;
  return mod.tables[0]?.limits.initial ?? 0;
}

/** Build the layout of an already-parsed module. */
export function layoutFromModule(mod: WasmModule): ImageLayout {
  const placed = segmentPlacements(mod);
  // Array.prototype.sort is stable, so equal addresses keep wasm-ld's order.
  const segments: LayoutSegment[] = placed
    .map((p) => ({ name: p.name, address: p.address, size: p.size, kind: p.kind }))
    .sort((a, b) => a.address - b.address);
  let prev: LayoutSegment | null = null;
  for (const s of segments) {
    if (s.size === 0) continue;
    if (prev !== null && s.address < prev.address + prev.size) {
      throw new LayoutError(
        `segments ${prev.name} [${hex(prev.address)}, ${hex(prev.address + prev.size)}) and ` +
          `${s.name} [${hex(s.address)}, ${hex(s.address + s.size)}) overlap`,
      );
    }
    prev = s;
  }
  return {
    segments,
    globals: exportedConstGlobals(mod),
    imports: mod.imports.map((i) => ({ module: i.module, name: i.name, kind: i.desc.kind })),
    exports: mod.exports.map((e) => ({ name: e.name, kind: e.kind, index: e.index })),
    memory: memoryOf(mod),
    tableSize: tableSizeOf(mod),
    functionCount: importCount(mod, 'func') + mod.functions.length,
  };
}

/** Parse a linked image and recover its memory layout. */
export function readLayout(bytes: Uint8Array): ImageLayout {
  return layoutFromModule(readModule(bytes));
}

/** Natural alignment inferred from an address: its lowest set bit, capped at 16. */
function inferredAlign(address: number): number {
  if (address === 0) return 16;
  return Math.min(16, (address & -address) >>> 0);
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function symbol(layout: ImageLayout, region: string, role: string, name: string): number {
  const v = layout.globals[name];
  if (v === undefined) {
    throw new LayoutError(
      `region ${region}: ${role} symbol ${name} is not exported as a constant i32 global`,
    );
  }
  return v;
}

/**
 * Verify one region of the image (see the module comment) and return its
 * bounds. Throws LayoutError naming the region, symbol and addresses.
 */
export function checkRegion(layout: ImageLayout, region: RegionSpec): RegionBounds {
  const r = region.name;
  const start = symbol(layout, r, 'start', region.start);
  const end = symbol(layout, r, 'end', region.end);

  const wanted = new Set<string>();
  for (const name of region.segments) {
    if (wanted.has(name)) throw new LayoutError(`region ${r}: segment ${name} is listed twice`);
    wanted.add(name);
  }
  // Index into layout.segments (address order, ties in link order).
  const present: { seg: LayoutSegment; order: number }[] = [];
  for (const name of region.segments) {
    const hits = layout.segments.flatMap((seg, order) =>
      seg.name === name ? [{ seg, order }] : [],
    );
    if (hits.length > 1)
      throw new LayoutError(
        `region ${r}: segment name ${name} is ambiguous (${hits.length} segments)`,
      );
    const hit = hits[0];
    if (hit !== undefined) present.push(hit);
  }

  for (let i = 1; i < present.length; i++) {
    const a = present[i - 1]!;
    const b = present[i]!;
    const aEnd = a.seg.address + a.seg.size;
    if (b.seg.address < aEnd || b.order < a.order) {
      throw new LayoutError(
        `region ${r}: segment ${b.seg.name} at ${hex(b.seg.address)} must follow ${a.seg.name} ` +
          `(which ends at ${hex(aEnd)}) but is placed before it`,
      );
    }
  }

  // Foreign segments are checked before gaps so that something sitting in
  // a hole gets named. The span is the region's own segments, not the
  // symbols, so a wrong start/end symbol cannot cause a misleading report.
  // Zero-size foreign segments count when strictly inside the span or
  // between the region's segments in link order.
  const first = present[0];
  const last = present[present.length - 1];
  if (first !== undefined && last !== undefined) {
    const spanStart = first.seg.address;
    const spanEnd = last.seg.address + last.seg.size;
    for (const [order, seg] of layout.segments.entries()) {
      if (wanted.has(seg.name)) continue;
      const overlaps =
        seg.size > 0
          ? seg.address < spanEnd && seg.address + seg.size > spanStart
          : spanStart < seg.address && seg.address < spanEnd;
      const between = seg.size === 0 && order > first.order && order < last.order;
      if (overlaps || between) {
        throw new LayoutError(
          `region ${r}: foreign segment ${seg.name} [${hex(seg.address)}, ${hex(seg.address + seg.size)}) ` +
            `lies inside [${hex(spanStart)}, ${hex(spanEnd)})`,
        );
      }
    }
  }

  for (let i = 1; i < present.length; i++) {
    const a = present[i - 1]!;
    const b = present[i]!;
    const aEnd = a.seg.address + a.seg.size;
    const expected = alignUp(aEnd, inferredAlign(b.seg.address));
    if (b.seg.address !== expected) {
      throw new LayoutError(
        `region ${r}: gap of ${b.seg.address - aEnd} bytes between ${a.seg.name} (ends ${hex(aEnd)}) and ` +
          `${b.seg.name} (expected at ${hex(expected)}, actual ${hex(b.seg.address)})`,
      );
    }
  }

  const expStart = first?.seg.address ?? start;
  const expEnd = last !== undefined ? last.seg.address + last.seg.size : start;
  if (start !== expStart) {
    throw new LayoutError(
      `region ${r}: start symbol ${region.start} expected ${hex(expStart)} (start of ${first?.seg.name ?? '?'}), actual ${hex(start)}`,
    );
  }
  if (end !== expEnd) {
    const what = last !== undefined ? `end of ${last.seg.name}` : 'empty region: equal to start';
    throw new LayoutError(
      `region ${r}: end symbol ${region.end} expected ${hex(expEnd)} (${what}), actual ${hex(end)}`,
    );
  }

  for (const [sym, segName] of Object.entries(region.markers ?? {})) {
    const addr = symbol(layout, r, 'marker', sym);
    const seg = present.find((p) => p.seg.name === segName);
    if (seg === undefined) {
      throw new LayoutError(
        `region ${r}: marker ${sym} refers to segment ${segName}, which is not in the region or not present`,
      );
    }
    if (addr !== seg.seg.address) {
      throw new LayoutError(
        `region ${r}: marker ${sym} expected ${hex(seg.seg.address)} (start of ${segName}), actual ${hex(addr)}`,
      );
    }
  }
  return { start, end };
}
