// LEB128 encoding/decoding and the error type shared by the wasm tools.
//
// Every decoder here is bounds-checked against an explicit end offset and
// throws WasmFormatError (never RangeError/TypeError), so callers that feed
// untrusted or truncated binaries only ever see one error type.

/** Malformed or unsupported WebAssembly binary content. */
export class WasmFormatError extends Error {
  /** Byte offset in the module where the problem was detected (-1 if unknown). */
  readonly offset: number;

  constructor(message: string, offset: number = -1) {
    super(offset >= 0 ? `${message} (at offset 0x${offset.toString(16)})` : message);
    this.name = 'WasmFormatError';
    this.offset = offset;
  }
}

/** A decoded value plus the offset just past its encoding. */
export interface Decoded<T> {
  readonly value: T;
  readonly next: number;
}

/**
 * Unsigned LEB128 of at most `bits` bits (32 by default). The spec caps the
 * encoding at ceil(bits/7) bytes and requires unused bits of the last byte
 * to be zero; we enforce both so corrupt input is rejected rather than
 * silently wrapped.
 */
export function readUnsigned(
  bytes: Uint8Array,
  pos: number,
  end: number,
  bits: number = 32,
): Decoded<number> {
  const maxBytes = Math.ceil(bits / 7);
  let result = 0;
  let shift = 0;
  for (let i = 0; ; i++) {
    if (pos + i >= end) throw new WasmFormatError('unexpected end of data in LEB128', pos + i);
    if (i >= maxBytes) throw new WasmFormatError(`LEB128 longer than ${maxBytes} bytes`, pos);
    const b = bytes[pos + i] as number;
    if (i === maxBytes - 1) {
      // Last permitted byte: only the low (bits - 7*i) bits may be set.
      const usable = bits - 7 * i;
      if ((b & 0x80) !== 0 || b >> usable !== 0) {
        throw new WasmFormatError(`LEB128 value exceeds ${bits} bits`, pos);
      }
    }
    // Multiply instead of shifting so values >= 2^31 stay positive.
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value: result, next: pos + i + 1 };
  }
}

/** Signed LEB128 of `bits` bits, returned as a bigint (used for s33/s64). */
export function readSignedBig(
  bytes: Uint8Array,
  pos: number,
  end: number,
  bits: number,
): Decoded<bigint> {
  const maxBytes = Math.ceil(bits / 7);
  let result = 0n;
  let shift = 0n;
  for (let i = 0; ; i++) {
    if (pos + i >= end) throw new WasmFormatError('unexpected end of data in LEB128', pos + i);
    if (i >= maxBytes) throw new WasmFormatError(`LEB128 longer than ${maxBytes} bytes`, pos);
    const b = bytes[pos + i] as number;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (i === maxBytes - 1) {
        // The unused high bits of the final byte must all equal the sign bit.
        const usable = bits - 7 * i; // value bits carried by this byte
        const rest = b >> (usable - 1); // sign bit and unused bits
        const allowed = (b & 0x40) !== 0 ? 0x7f >> (usable - 1) : 0;
        if (rest !== allowed)
          throw new WasmFormatError(`signed LEB128 value exceeds ${bits} bits`, pos);
      }
      if ((b & 0x40) !== 0) result -= 1n << shift;
      return { value: result, next: pos + i + 1 };
    }
    if (i === maxBytes - 1)
      throw new WasmFormatError(`signed LEB128 value exceeds ${bits} bits`, pos);
  }
}

/** Signed 32-bit LEB128 as a JS number. */
export function readSigned32(bytes: Uint8Array, pos: number, end: number): Decoded<number> {
  const d = readSignedBig(bytes, pos, end, 32);
  return { value: Number(d.value), next: d.next };
}

/** Encode an unsigned 32-bit value as LEB128 (minimal length). */
export function encodeUnsigned(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`encodeUnsigned: ${value} is not a u32`);
  }
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return Uint8Array.from(out);
}
