// Post-link step for the kernel image: recover the layout wasm-ld produced,
// verify it against the kernel's region rules, and embed it in the binary
// as a `wasmlinux.layout` custom section for the host runtime to read.

import { replaceCustomSection } from './custom-section.js';
import {
  LayoutError,
  checkRegion,
  layoutFromModule,
  type ImageLayout,
  type LayoutSegment,
  type MemoryLayout,
  type RegionBounds,
  type RegionSpec,
} from './layout.js';
import { readModule } from '../../src/core/wasm/reader.js';

export const LAYOUT_SECTION = 'wasmlinux.layout';

export interface PostlinkSpec {
  readonly regions: readonly RegionSpec[];
  /** Export names that must exist (any kind). */
  readonly requiredExports?: readonly string[];
  /** "module.name" (split at the first dot) or a bare field name matching any module. */
  readonly requiredImports?: readonly string[];
}

export interface PostlinkResult {
  readonly bytes: Uint8Array;
  readonly layout: ImageLayout;
  readonly regions: Record<string, RegionBounds>;
}

/** The JSON stored in the custom section. */
export interface LayoutRecord {
  readonly version: 1;
  readonly segments: readonly LayoutSegment[];
  readonly regions: Readonly<Record<string, RegionBounds>>;
  readonly globals: Readonly<Record<string, number>>;
  readonly memory: MemoryLayout;
  readonly tableSize: number;
  /** Values the host must agree on (arch/wasm/kernel/asm-offsets.c's WASM_ABI_*). */
  readonly abi?: Readonly<Record<string, number>>;
}

function importMatches(required: string, module: string, name: string): boolean {
  const dot = required.indexOf('.');
  if (dot < 0) return required === name;
  return (
    (required.slice(0, dot) === module && required.slice(dot + 1) === name) || required === name
  );
}

function checkRequired(layout: ImageLayout, spec: PostlinkSpec): void {
  const exported = new Set(layout.exports.map((e) => e.name));
  const missingExports = (spec.requiredExports ?? []).filter((n) => !exported.has(n));
  if (missingExports.length > 0)
    throw new LayoutError(`missing required export(s): ${missingExports.join(', ')}`);
  const missingImports = (spec.requiredImports ?? []).filter(
    (req) => !layout.imports.some((i) => importMatches(req, i.module, i.name)),
  );
  if (missingImports.length > 0)
    throw new LayoutError(`missing required import(s): ${missingImports.join(', ')}`);
}

/**
 * Parse, verify and annotate a linked kernel image. Idempotent. abi, when
 * given, is recorded for the host to check against its own values.
 */
export function postlink(
  bytes: Uint8Array,
  spec: PostlinkSpec,
  abi?: Readonly<Record<string, number>>,
): PostlinkResult {
  const layout = layoutFromModule(readModule(bytes));
  checkRequired(layout, spec);
  const regions: Record<string, RegionBounds> = {};
  for (const region of spec.regions) {
    if (Object.hasOwn(regions, region.name))
      throw new LayoutError(`region ${region.name} is specified twice`);
    regions[region.name] = checkRegion(layout, region);
  }
  const record: LayoutRecord = {
    version: 1,
    segments: layout.segments,
    regions,
    globals: layout.globals,
    memory: layout.memory,
    tableSize: layout.tableSize,
    ...(abi ? { abi } : {}),
  };
  const payload = new TextEncoder().encode(JSON.stringify(record));
  return { bytes: replaceCustomSection(bytes, LAYOUT_SECTION, payload), layout, regions };
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isRecordOfStrings(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

/** Validate untrusted JSON as a PostlinkSpec, with messages naming the bad field. */
export function parsePostlinkSpec(json: unknown): PostlinkSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('postlink spec: expected an object');
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o['regions'])) throw new Error('postlink spec: "regions" must be an array');
  const regions: RegionSpec[] = o['regions'].map((r: unknown, i: number): RegionSpec => {
    if (typeof r !== 'object' || r === null)
      throw new Error(`postlink spec: regions[${i}] must be an object`);
    const ro = r as Record<string, unknown>;
    for (const k of ['name', 'start', 'end'] as const) {
      if (typeof ro[k] !== 'string')
        throw new Error(`postlink spec: regions[${i}].${k} must be a string`);
    }
    if (!isStringArray(ro['segments']))
      throw new Error(`postlink spec: regions[${i}].segments must be an array of strings`);
    if (ro['markers'] !== undefined && !isRecordOfStrings(ro['markers'])) {
      throw new Error(
        `postlink spec: regions[${i}].markers must map symbol names to segment names`,
      );
    }
    return {
      name: ro['name'] as string,
      start: ro['start'] as string,
      end: ro['end'] as string,
      segments: ro['segments'],
      ...(ro['markers'] !== undefined ? { markers: ro['markers'] as Record<string, string> } : {}),
    };
  });
  for (const k of ['requiredExports', 'requiredImports'] as const) {
    if (o[k] !== undefined && !isStringArray(o[k]))
      throw new Error(`postlink spec: "${k}" must be an array of strings`);
  }
  return {
    regions,
    ...(o['requiredExports'] !== undefined
      ? { requiredExports: o['requiredExports'] as string[] }
      : {}),
    ...(o['requiredImports'] !== undefined
      ? { requiredImports: o['requiredImports'] as string[] }
      : {}),
  };
}
