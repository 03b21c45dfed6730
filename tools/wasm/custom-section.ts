// Read, append and remove custom sections without touching anything else.
//
// Custom sections may appear anywhere, and engines ignore their contents,
// so appending one at the end is always valid; removing by splicing whole
// sections keeps every other byte (and therefore every code offset) intact.

import { encodeUnsigned } from '../../src/core/wasm/leb128.js';
import { Cursor, scanSections, type ByteRange } from '../../src/core/wasm/reader.js';

const utf8 = new TextEncoder();

interface FoundCustom {
  readonly name: string;
  readonly whole: ByteRange;
  readonly payload: ByteRange;
}

function customSections(bytes: Uint8Array): FoundCustom[] {
  const out: FoundCustom[] = [];
  for (const s of scanSections(bytes)) {
    if (s.id !== 0) continue;
    const c = new Cursor(bytes, s.payload.start, s.payload.end);
    const name = c.name('custom section name');
    out.push({
      name,
      whole: { start: s.headerStart, end: s.payload.end },
      payload: { start: c.pos, end: s.payload.end },
    });
  }
  return out;
}

/** The parts one after another, in one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encode a complete custom section (id, size, name, payload). */
export function encodeCustomSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = utf8.encode(name);
  const nameLen = encodeUnsigned(nameBytes.length);
  const size = encodeUnsigned(nameLen.length + nameBytes.length + payload.length);
  return concat([Uint8Array.of(0), size, nameLen, nameBytes, payload]);
}

/** Return a copy of the module with a custom section appended at the end. */
export function appendCustomSection(
  bytes: Uint8Array,
  name: string,
  payload: Uint8Array,
): Uint8Array {
  scanSections(bytes); // refuse to extend something that is not a well-formed module
  return concat([bytes, encodeCustomSection(name, payload)]);
}

/** Return a copy of the module without any custom section called `name`. */
export function removeCustomSections(bytes: Uint8Array, name: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const s of customSections(bytes)) {
    if (s.name !== name) continue;
    parts.push(bytes.subarray(at, s.whole.start));
    at = s.whole.end;
  }
  parts.push(bytes.subarray(at));
  return concat(parts);
}

/** Replace (or add) the custom section `name` so there is exactly one, at the end. */
export function replaceCustomSection(
  bytes: Uint8Array,
  name: string,
  payload: Uint8Array,
): Uint8Array {
  return appendCustomSection(removeCustomSections(bytes, name), name, payload);
}

/** Payload of the first custom section called `name` (a copy), or null. */
export function readCustomSection(bytes: Uint8Array, name: string): Uint8Array | null {
  const s = customSections(bytes).find((c) => c.name === name);
  return s === undefined ? null : bytes.slice(s.payload.start, s.payload.end);
}
