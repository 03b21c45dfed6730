// The 9P2000.L codec (src/core/ninep/codec.ts): messages survive a round
// trip, and every kind of malformed frame is refused with NinePDecodeError.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HEADER_SIZE,
  MsgType,
  NinePDecodeError,
  NinePReader,
  NinePUnknownTypeError,
  NinePWriter,
  NOFID,
  NOTAG,
  decodeDirents,
  decodeHeader,
  decodeReply,
  decodeRequest,
  direntSize,
  encodeDirents,
  encodeReply,
  encodeRequest,
  type NinePReply,
  type NinePRequest,
} from '../../src/core/ninep/codec.js';

const MSIZE = 8192;

/** A name as the bytes of its UTF-8. */
function utf8(name: string): Uint8Array {
  return new TextEncoder().encode(name);
}

/** Bytes given as a list: for names that are not UTF-8. */
function raw(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

/**
 * Names Linux allows that are not UTF-8, or are UTF-8 of several bytes:
 * a lone 0xff, a lone lead byte 0xc3, a stray continuation byte 0x80, an
 * overlong "/" (0xc0 0xaf, which must not be taken for a separator), a
 * UTF-16 surrogate encoded as UTF-8 (0xed 0xa0 0x80), and valid "ü", "€", "😀".
 */
const ODD_NAMES: readonly Uint8Array[] = [
  raw(0x61, 0xff, 0x62),
  raw(0xc3),
  raw(0x78, 0x80),
  raw(0xc0, 0xaf),
  raw(0xed, 0xa0, 0x80),
  utf8('ü'),
  utf8('€uro'),
  utf8('😀'),
  raw(0x01, 0x1b, 0x7f, 0xfe),
];

/** A frame of the given type and tag around a hand-written body. */
function frame(type: number, tag: number, body: (w: NinePWriter) => void): Uint8Array {
  const w = new NinePWriter();
  w.u32(0).u8(type).u16(tag);
  body(w);
  w.patchU32(0, w.length);
  return w.finish();
}

/** A frame cut to `len` bytes with its size field saying so (a short body, not a short frame). */
function truncatedBody(f: Uint8Array, len: number): Uint8Array {
  const cut = f.slice(0, len);
  new DataView(cut.buffer).setUint32(0, len, true);
  return cut;
}

const requests: NinePRequest[] = [
  { kind: 'version', tag: 0xffff, msize: 65536, version: '9P2000.L' },
  { kind: 'attach', tag: 1, fid: 0, afid: 0xffffffff, uname: 'root', aname: utf8(''), nUname: 0 },
  { kind: 'walk', tag: 2, fid: 0, newfid: 1, names: [utf8('a'), utf8('ü'), utf8('..')] },
  { kind: 'write', tag: 3, fid: 1, offset: 1n << 40n, data: new Uint8Array([1, 2, 3]) },
  {
    kind: 'setattr',
    tag: 4,
    fid: 1,
    valid: 0x1ff,
    mode: 0o644,
    uid: 1,
    gid: 2,
    size: 10n,
    atimeSec: 5n,
    atimeNsec: 6n,
    mtimeSec: 7n,
    mtimeNsec: 8n,
  },
  {
    kind: 'lock',
    tag: 5,
    fid: 1,
    lockType: 1,
    flags: 0,
    start: 0n,
    length: 0n,
    procId: 42,
    clientId: utf8('c'),
  },
  { kind: 'renameat', tag: 6, olddirfid: 1, oldname: utf8('x'), newdirfid: 2, newname: utf8('y') },
  { kind: 'fsync', tag: 7, fid: 3, datasync: 1 },
  { kind: 'walk', tag: 8, fid: 0, newfid: 1, names: [...ODD_NAMES] },
  { kind: 'lcreate', tag: 9, fid: 1, name: raw(0x61, 0xff, 0x62), flags: 2, mode: 0o644, gid: 0 },
  { kind: 'mkdir', tag: 10, dfid: 1, name: raw(0xc3), mode: 0o755, gid: 0 },
  { kind: 'symlink', tag: 11, fid: 1, name: raw(0x80), target: raw(0x2e, 0x2f, 0xfe), gid: 0 },
  { kind: 'renameat', tag: 12, olddirfid: 1, oldname: raw(0xff), newdirfid: 1, newname: utf8('€') },
  { kind: 'unlinkat', tag: 13, dirfid: 1, name: raw(0xfe, 0xfd), flags: 0 },
  { kind: 'link', tag: 14, dfid: 1, fid: 2, name: raw(0xc0, 0xaf) },
  { kind: 'mknod', tag: 15, dfid: 1, name: raw(0xe2, 0x82), mode: 0, major: 0, minor: 0, gid: 0 },
  { kind: 'rename', tag: 16, fid: 2, dfid: 1, name: raw(0xf0, 0x9f) },
  { kind: 'xattrwalk', tag: 17, fid: 1, newfid: 2, name: raw(0x75, 0x2e, 0xff) },
  {
    kind: 'attach',
    tag: 18,
    fid: 0,
    afid: NOFID,
    uname: 'root',
    aname: raw(0x64, 0xff),
    nUname: 0,
  },
];

describe('9P codec', () => {
  for (const req of requests) {
    test(`${req.kind} request round-trips`, () => {
      const bytes = encodeRequest(req);
      assert.equal(new DataView(bytes.buffer).getUint32(0, true), bytes.length);
      assert.deepEqual(decodeRequest(bytes, MSIZE), req);
    });
  }

  test('the wire layout is the one Linux uses (Twalk by hand)', () => {
    const bytes = encodeRequest({ kind: 'walk', tag: 9, fid: 1, newfid: 2, names: [utf8('ab')] });
    assert.deepEqual(
      [...bytes],
      [21, 0, 0, 0, MsgType.Twalk, 9, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0, 0x61, 0x62],
    );
  });

  test('replies round-trip, including Rgetattr and Rlerror', () => {
    const replies: NinePReply[] = [
      { kind: 'lerror', ecode: 2 },
      { kind: 'walk', qids: [{ type: 0x80, version: 0, path: 12345678901234n }] },
      { kind: 'read', data: new Uint8Array([9, 8]) },
      { kind: 'flush' },
      {
        kind: 'getattr',
        valid: 0x7ffn,
        qid: { type: 0, version: 1, path: 2n },
        mode: 0o100644,
        uid: 0,
        gid: 0,
        nlink: 1n,
        rdev: 0n,
        size: 3n,
        blksize: 4096n,
        blocks: 8n,
        atimeSec: 1n,
        atimeNsec: 2n,
        mtimeSec: 3n,
        mtimeNsec: 4n,
        ctimeSec: 5n,
        ctimeNsec: 6n,
        btimeSec: 0n,
        btimeNsec: 0n,
        gen: 0n,
        dataVersion: 0n,
      },
    ];
    for (const r of replies)
      assert.deepEqual(decodeReply(encodeReply(77, r), MSIZE), { tag: 77, reply: r });
    // Rgetattr is 7 + 8 + 13 + 3*4 + 15*8 bytes.
    assert.equal(encodeReply(1, replies[4] as NinePReply).length, 7 + 8 + 13 + 12 + 120);
  });

  test('Tfsync from older kernels (no datasync field) decodes with datasync 0', () => {
    const bytes = frame(MsgType.Tfsync, 1, (w) => w.u32(5));
    assert.deepEqual(decodeRequest(bytes, MSIZE), { kind: 'fsync', tag: 1, fid: 5, datasync: 0 });
  });

  test('every truncation of a body is refused', () => {
    for (const req of requests) {
      const bytes = encodeRequest(req);
      for (let len = HEADER_SIZE; len < bytes.length; len++) {
        // Tfsync's last field is optional, so cutting exactly it is legal.
        if (req.kind === 'fsync' && len === bytes.length - 4) continue;
        assert.throws(
          () => decodeRequest(truncatedBody(bytes, len), MSIZE),
          NinePDecodeError,
          `${req.kind} at ${len}`,
        );
      }
    }
  });

  test('framing errors: short frame, size field mismatch, size over msize, trailing bytes', () => {
    const good = encodeRequest({ kind: 'clunk', tag: 1, fid: 3 });
    assert.throws(() => decodeHeader(good.subarray(0, 6), MSIZE), NinePDecodeError);
    const longer = new Uint8Array([...good, 0]);
    assert.throws(() => decodeHeader(longer, MSIZE), NinePDecodeError); // size says 11, have 12
    new DataView(longer.buffer).setUint32(0, longer.length, true);
    assert.throws(() => decodeRequest(longer, MSIZE), /trailing/);
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(0, 1000, true);
    assert.throws(() => decodeHeader(lying, MSIZE), NinePDecodeError); // size beyond the data
    assert.throws(() => decodeHeader(good, 10), /exceeds msize/);
    const tiny = good.slice();
    new DataView(tiny.buffer).setUint32(0, 3, true);
    assert.throws(() => decodeHeader(tiny, MSIZE), NinePDecodeError);
  });

  test('unknown types, bad UTF-8 and impossible list lengths are refused', () => {
    assert.throws(
      () =>
        decodeRequest(
          frame(200, 1, () => undefined),
          MSIZE,
        ),
      NinePUnknownTypeError,
    );
    // An R-message type is not a request.
    assert.throws(
      () =>
        decodeRequest(
          frame(MsgType.Rclunk, 1, () => undefined),
          MSIZE,
        ),
      NinePUnknownTypeError,
    );
    // Text fields (not names) must be UTF-8: Tversion's protocol string.
    const badUtf8 = frame(MsgType.Tversion, NOTAG, (w) => w.u32(8192).u16(1).u8(0xff));
    assert.throws(() => decodeRequest(badUtf8, MSIZE), /UTF-8/);
    const manyNames = frame(MsgType.Twalk, 1, (w) => w.u32(0).u32(1).u16(0xffff));
    assert.throws(() => decodeRequest(manyNames, MSIZE), NinePDecodeError);
    const hugeData = frame(MsgType.Twrite, 1, (w) => w.u32(0).u64(0n).u32(0xffffffff));
    assert.throws(() => decodeRequest(hugeData, MSIZE), NinePDecodeError);
  });

  test('reader reads little-endian and refuses to read past the end', () => {
    const r = new NinePReader(new Uint8Array([1, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0]));
    assert.equal(r.u8(), 1);
    assert.equal(r.u16(), 2);
    assert.equal(r.u32(), 3);
    assert.throws(() => r.u64(), NinePDecodeError);
  });

  test('dirents round-trip, names of any bytes included', () => {
    const ents = [
      { qid: { type: 0x80, version: 0, path: 1n }, offset: 1n, type: 4, name: utf8('.') },
      { qid: { type: 0, version: 0, path: 2n }, offset: 2n, type: 8, name: utf8('file') },
      ...ODD_NAMES.map((name, i) => ({
        qid: { type: 0, version: 1, path: BigInt(10 + i) },
        offset: BigInt(3 + i),
        type: 8,
        name,
      })),
    ];
    assert.deepEqual(decodeDirents(encodeDirents(ents)), ents);
    assert.equal(
      encodeDirents(ents).length,
      ents.reduce((n, e) => n + direntSize(e.name), 0),
      'direntSize counts bytes, not characters',
    );
  });

  test('names travel as their exact bytes, never re-encoded', () => {
    // Tunlinkat with name "a\xffb": the three bytes on the wire, and back.
    const bytes = encodeRequest({
      kind: 'unlinkat',
      tag: 1,
      dirfid: 0,
      name: raw(0x61, 0xff, 0x62),
      flags: 0,
    });
    assert.deepEqual([...bytes.subarray(11, 16)], [3, 0, 0x61, 0xff, 0x62]);
    for (const name of ODD_NAMES) {
      const req = { kind: 'unlinkat', tag: 2, dirfid: 0, name, flags: 0 } as const;
      const got = decodeRequest(encodeRequest(req), MSIZE);
      assert.ok(got.kind === 'unlinkat');
      assert.deepEqual([...got.name], [...name]);
    }
    for (const target of ODD_NAMES)
      assert.deepEqual(decodeReply(encodeReply(3, { kind: 'readlink', target }), MSIZE), {
        tag: 3,
        reply: { kind: 'readlink', target },
      });
    const lockHolder = {
      kind: 'getlock',
      lockType: 1,
      start: 0n,
      length: 0n,
      procId: 1,
      clientId: raw(0x68, 0xff),
    } as const;
    assert.deepEqual(decodeReply(encodeReply(4, lockHolder), MSIZE).reply, lockHolder);
  });

  test('a decoded name is a copy: changing the message afterwards does not change it', () => {
    const bytes = encodeRequest({
      kind: 'mkdir',
      tag: 1,
      dfid: 0,
      name: utf8('ok'),
      mode: 0,
      gid: 0,
    });
    const req = decodeRequest(bytes, MSIZE);
    bytes.fill(0x2f, HEADER_SIZE); // a reused buffer, now full of '/'
    assert.ok(req.kind === 'mkdir');
    assert.deepEqual(req.name, utf8('ok'));
  });

  test('a 65535-byte name fits, a longer one is refused on encode', () => {
    const long = new Uint8Array(0xffff).fill(0xff);
    const ok = encodeRequest({ kind: 'unlinkat', tag: 1, dirfid: 0, name: long, flags: 0 });
    const got = decodeRequest(ok, 1 << 20);
    assert.ok(got.kind === 'unlinkat');
    assert.equal(got.name.length, 0xffff);
    assert.throws(
      () =>
        encodeRequest({
          kind: 'unlinkat',
          tag: 1,
          dirfid: 0,
          name: new Uint8Array(0x10000),
          flags: 0,
        }),
      RangeError,
    );
  });
});
