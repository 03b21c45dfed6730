// The 9P2000.L wire format: message type numbers, a bounds-checked reader, a
// growable writer, and schema-driven encoding/decoding of whole messages.
// Platform-neutral (no node: imports) so a browser-side server can share it.
//
// Every message is size[4] type[1] tag[2] body, little-endian. The body
// layouts follow the Linux client (include/net/9p/9p.h, net/9p/client.c).
// Each message kind is described once as a list of typed fields; the same
// description drives encoding and decoding in both directions, so requests
// and replies can never disagree with each other about a layout.

/** Message type numbers (T = request, R = reply, R is always T + 1). */
export const MsgType = {
  Tlerror: 6,
  Rlerror: 7,
  Tstatfs: 8,
  Rstatfs: 9,
  Tlopen: 12,
  Rlopen: 13,
  Tlcreate: 14,
  Rlcreate: 15,
  Tsymlink: 16,
  Rsymlink: 17,
  Tmknod: 18,
  Rmknod: 19,
  Trename: 20,
  Rrename: 21,
  Treadlink: 22,
  Rreadlink: 23,
  Tgetattr: 24,
  Rgetattr: 25,
  Tsetattr: 26,
  Rsetattr: 27,
  Txattrwalk: 30,
  Rxattrwalk: 31,
  Txattrcreate: 32,
  Rxattrcreate: 33,
  Treaddir: 40,
  Rreaddir: 41,
  Tfsync: 50,
  Rfsync: 51,
  Tlock: 52,
  Rlock: 53,
  Tgetlock: 54,
  Rgetlock: 55,
  Tlink: 70,
  Rlink: 71,
  Tmkdir: 72,
  Rmkdir: 73,
  Trenameat: 74,
  Rrenameat: 75,
  Tunlinkat: 76,
  Runlinkat: 77,
  Tversion: 100,
  Rversion: 101,
  Tauth: 102,
  Rauth: 103,
  Tattach: 104,
  Rattach: 105,
  Tflush: 108,
  Rflush: 109,
  Twalk: 110,
  Rwalk: 111,
  Tread: 116,
  Rread: 117,
  Twrite: 118,
  Rwrite: 119,
  Tclunk: 120,
  Rclunk: 121,
  Tremove: 122,
  Rremove: 123,
} as const;

/** The tag of Tversion, and the "no fid" value of Tattach's afid. */
export const NOTAG = 0xffff;
export const NOFID = 0xffffffff;
/** size[4] type[1] tag[2]. */
export const HEADER_SIZE = 7;
/** Most names a single Twalk may carry (MAXWELEM in the protocol). */
export const MAX_WALK_NAMES = 16;

/** Qid type bits. */
export const QidType = {
  DIR: 0x80,
  APPEND: 0x40,
  EXCL: 0x20,
  AUTH: 0x08,
  SYMLINK: 0x02,
  FILE: 0,
} as const;

/** Tgetattr request_mask / Rgetattr valid bits. */
export const GetattrMask = {
  MODE: 0x1,
  NLINK: 0x2,
  UID: 0x4,
  GID: 0x8,
  RDEV: 0x10,
  ATIME: 0x20,
  MTIME: 0x40,
  CTIME: 0x80,
  INO: 0x100,
  SIZE: 0x200,
  BLOCKS: 0x400,
  BASIC: 0x7ff,
  BTIME: 0x800,
  GEN: 0x1000,
  DATA_VERSION: 0x2000,
  ALL: 0x3fff,
} as const;

/** Tsetattr valid bits. */
export const SetattrMask = {
  MODE: 0x1,
  UID: 0x2,
  GID: 0x4,
  SIZE: 0x8,
  ATIME: 0x10,
  MTIME: 0x20,
  CTIME: 0x40,
  ATIME_SET: 0x80,
  MTIME_SET: 0x100,
} as const;

/** Tunlinkat flag asking for rmdir semantics. */
export const AT_REMOVEDIR = 0x200;

/** Tlock/Tgetlock lock types and Rlock status values. */
export const LockType = { RDLCK: 0, WRLCK: 1, UNLCK: 2 } as const;
export const LockStatus = { SUCCESS: 0, BLOCKED: 1, ERROR: 2, GRACE: 3 } as const;

export interface Qid {
  readonly type: number;
  readonly version: number;
  /** Unique per file on the server (the host inode number). */
  readonly path: bigint;
}

/** Any malformed input: truncated, trailing bytes, bad sizes, bad UTF-8 in a text field. */
export class NinePDecodeError extends Error {
  override readonly name = 'NinePDecodeError';
}

const utf8 = new TextEncoder();
// fatal: text that is not UTF-8 is refused rather than silently turned into
// U+FFFD. Only the genuinely textual fields are decoded at all (see
// FieldKind): file names are bytes and never pass through here.
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * A DataView over the whole of the last buffer read: the 9P server thread
 * reads every message from kernel memory, and a new view per message was a
 * tenth of a metadata request's cost in the codec. (It keeps that one
 * buffer alive.)
 */
let lastBuffer: ArrayBufferLike | null = null;
let lastView: DataView | null = null;

function viewOf(buffer: ArrayBufferLike): DataView {
  if (buffer !== lastBuffer || lastView === null) {
    lastView = new DataView(buffer);
    lastBuffer = buffer;
  }
  return lastView;
}

/**
 * Names are copied into shared chunks, as Node's Buffer pool does, rather
 * than each into an ArrayBuffer of its own (every walk, create and unlink
 * carries one): allocating and later freeing an ArrayBuffer costs more than
 * the rest of decoding the message.
 */
const NAME_CHUNK = 16384;
let nameChunk = new Uint8Array(NAME_CHUNK);
let nameAt = 0;

function copyName(name: Uint8Array): Uint8Array {
  if (name.length > NAME_CHUNK / 8) return name.slice();
  if (nameAt + name.length > NAME_CHUNK) {
    nameChunk = new Uint8Array(NAME_CHUNK);
    nameAt = 0;
  }
  const out = nameChunk.subarray(nameAt, nameAt + name.length);
  out.set(name);
  nameAt += name.length;
  return out;
}

export class NinePReader {
  private readonly view: DataView;
  /** Where the bytes start in view's buffer. */
  private readonly base: number;
  private pos: number;

  /** Reads bytes from index start on. */
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.view = viewOf(bytes.buffer);
    this.base = bytes.byteOffset;
    this.pos = start;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Takes n bytes; returns their index in view. */
  private take(n: number): number {
    if (n > this.remaining)
      throw new NinePDecodeError(`need ${n} bytes at offset ${this.pos}, have ${this.remaining}`);
    const at = this.pos;
    this.pos += n;
    return this.base + at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  bytesOf(n: number): Uint8Array {
    const at = this.take(n) - this.base;
    return this.bytes.subarray(at, at + n);
  }
  str(): string {
    // A copy: browsers' TextDecoder refuses views of shared memory, where
    // the 9P server thread reads its T-messages.
    const raw = this.bytesOf(this.u16()).slice();
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw new NinePDecodeError('string is not valid UTF-8');
    }
  }
  /**
   * A u16-counted string kept as the bytes it is (a file name, a path, a
   * symlink target). Copied out, never a view: a server keeps names for as
   * long as a fid lives, and a view would pin the whole message buffer (and
   * change with it if the sender reuses that buffer, e.g. shared memory).
   */
  name(): Uint8Array {
    return copyName(this.bytesOf(this.u16()));
  }
  qid(): Qid {
    return { type: this.u8(), version: this.u32(), path: this.u64() };
  }
  /** Refuses trailing bytes: an oversized body is as malformed as a short one. */
  end(): void {
    if (this.remaining !== 0)
      throw new NinePDecodeError(`${this.remaining} unexpected trailing bytes`);
  }
}

export class NinePWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Empties the writer for the next message, keeping its buffer. */
  reset(): this {
    this.len = 0;
    return this;
  }

  /** Reserves n bytes; call it before touching buf/view, which it may replace. */
  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  get length(): number {
    return this.len;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }
  u64(v: bigint | number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  str(s: string): this {
    return this.name(utf8.encode(s));
  }
  /** A u16-counted string of any bytes (file names are not necessarily UTF-8). */
  name(raw: Uint8Array): this {
    if (raw.length > 0xffff) throw new RangeError('9P string longer than 65535 bytes');
    return this.u16(raw.length).bytes(raw);
  }
  qid(q: Qid): this {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }
  /** Overwrites a u32 already written (used to patch the frame size). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
  /** What was written, in place: valid until the writer writes again. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

// ---------------------------------------------------------------------------
// Message schemas

/**
 * Wire field kinds. 'data' is count[4] + bytes; 'names'/'qids' are n[2] +
 * items; 'u32opt' is a trailing u32 older clients omit (Tfsync's datasync).
 *
 * 'str' and 'name' are the same on the wire, len[2] + bytes, and differ in
 * what they mean. Linux file names, paths and symlink targets are bytes with
 * no encoding (only '/' and NUL are special), so they are 'name': carried as
 * Uint8Array, unchanged end to end; decoding them as UTF-8 would refuse or
 * alter names such as "a\xffb". 'str' is for fields that are text by the
 * protocol's own definition (the version string, user names), decoded as
 * strict UTF-8.
 */
type FieldKind =
  'u8' | 'u16' | 'u32' | 'u32opt' | 'u64' | 'str' | 'name' | 'qid' | 'data' | 'names' | 'qids';

interface FieldValue {
  u8: number;
  u16: number;
  u32: number;
  u32opt: number;
  u64: bigint;
  str: string;
  name: Uint8Array;
  qid: Qid;
  data: Uint8Array;
  names: readonly Uint8Array[];
  qids: readonly Qid[];
}

type Field = readonly [name: string, kind: FieldKind];
type FieldsOf<F extends readonly Field[]> = {
  readonly [E in F[number] as E[0]]: FieldValue[E[1]];
};
interface Schema {
  readonly type: number;
  readonly fields: readonly Field[];
}

// Which strings are bytes ('name') and which are text ('str'): names, paths
// and symlink targets (Twalk, Tlcreate, Tsymlink, Tmknod, Trename,
// Rreadlink, Tlink, Tmkdir, Trenameat, Tunlinkat, the dirents of Rreaddir,
// Tattach's aname) are file names on a Linux or Unix host, so bytes. xattr
// names are bytes to the kernel too. Tlock's clientId is the client's
// nodename, which sethostname(2) takes as bytes; the server only compares
// and echoes it, so it stays bytes as well. The version string and unames
// are text.
const REQUESTS = {
  version: {
    type: MsgType.Tversion,
    fields: [
      ['msize', 'u32'],
      // A protocol name such as "9P2000.L": text.
      ['version', 'str'],
    ],
  },
  auth: {
    type: MsgType.Tauth,
    fields: [
      ['afid', 'u32'],
      // A user name, text (9P2000.L names the user by nUname anyway).
      ['uname', 'str'],
      // A path on the server: bytes, like any path.
      ['aname', 'name'],
      ['nUname', 'u32'],
    ],
  },
  attach: {
    type: MsgType.Tattach,
    fields: [
      ['fid', 'u32'],
      ['afid', 'u32'],
      ['uname', 'str'],
      ['aname', 'name'],
      ['nUname', 'u32'],
    ],
  },
  flush: { type: MsgType.Tflush, fields: [['oldtag', 'u16']] },
  walk: {
    type: MsgType.Twalk,
    fields: [
      ['fid', 'u32'],
      ['newfid', 'u32'],
      ['names', 'names'],
    ],
  },
  read: {
    type: MsgType.Tread,
    fields: [
      ['fid', 'u32'],
      ['offset', 'u64'],
      ['count', 'u32'],
    ],
  },
  write: {
    type: MsgType.Twrite,
    fields: [
      ['fid', 'u32'],
      ['offset', 'u64'],
      ['data', 'data'],
    ],
  },
  clunk: { type: MsgType.Tclunk, fields: [['fid', 'u32']] },
  remove: { type: MsgType.Tremove, fields: [['fid', 'u32']] },
  statfs: { type: MsgType.Tstatfs, fields: [['fid', 'u32']] },
  lopen: {
    type: MsgType.Tlopen,
    fields: [
      ['fid', 'u32'],
      ['flags', 'u32'],
    ],
  },
  lcreate: {
    type: MsgType.Tlcreate,
    fields: [
      ['fid', 'u32'],
      ['name', 'name'],
      ['flags', 'u32'],
      ['mode', 'u32'],
      ['gid', 'u32'],
    ],
  },
  symlink: {
    type: MsgType.Tsymlink,
    fields: [
      ['fid', 'u32'],
      ['name', 'name'],
      ['target', 'name'],
      ['gid', 'u32'],
    ],
  },
  mknod: {
    type: MsgType.Tmknod,
    fields: [
      ['dfid', 'u32'],
      ['name', 'name'],
      ['mode', 'u32'],
      ['major', 'u32'],
      ['minor', 'u32'],
      ['gid', 'u32'],
    ],
  },
  rename: {
    type: MsgType.Trename,
    fields: [
      ['fid', 'u32'],
      ['dfid', 'u32'],
      ['name', 'name'],
    ],
  },
  readlink: { type: MsgType.Treadlink, fields: [['fid', 'u32']] },
  getattr: {
    type: MsgType.Tgetattr,
    fields: [
      ['fid', 'u32'],
      ['requestMask', 'u64'],
    ],
  },
  setattr: {
    type: MsgType.Tsetattr,
    fields: [
      ['fid', 'u32'],
      ['valid', 'u32'],
      ['mode', 'u32'],
      ['uid', 'u32'],
      ['gid', 'u32'],
      ['size', 'u64'],
      ['atimeSec', 'u64'],
      ['atimeNsec', 'u64'],
      ['mtimeSec', 'u64'],
      ['mtimeNsec', 'u64'],
    ],
  },
  xattrwalk: {
    type: MsgType.Txattrwalk,
    fields: [
      ['fid', 'u32'],
      ['newfid', 'u32'],
      ['name', 'name'],
    ],
  },
  xattrcreate: {
    type: MsgType.Txattrcreate,
    fields: [
      ['fid', 'u32'],
      ['name', 'name'],
      ['size', 'u64'],
      ['flags', 'u32'],
    ],
  },
  readdir: {
    type: MsgType.Treaddir,
    fields: [
      ['fid', 'u32'],
      ['offset', 'u64'],
      ['count', 'u32'],
    ],
  },
  fsync: {
    type: MsgType.Tfsync,
    fields: [
      ['fid', 'u32'],
      ['datasync', 'u32opt'],
    ],
  },
  lock: {
    type: MsgType.Tlock,
    fields: [
      ['fid', 'u32'],
      ['lockType', 'u8'],
      ['flags', 'u32'],
      ['start', 'u64'],
      ['length', 'u64'],
      ['procId', 'u32'],
      ['clientId', 'name'],
    ],
  },
  getlock: {
    type: MsgType.Tgetlock,
    fields: [
      ['fid', 'u32'],
      ['lockType', 'u8'],
      ['start', 'u64'],
      ['length', 'u64'],
      ['procId', 'u32'],
      ['clientId', 'name'],
    ],
  },
  link: {
    type: MsgType.Tlink,
    fields: [
      ['dfid', 'u32'],
      ['fid', 'u32'],
      ['name', 'name'],
    ],
  },
  mkdir: {
    type: MsgType.Tmkdir,
    fields: [
      ['dfid', 'u32'],
      ['name', 'name'],
      ['mode', 'u32'],
      ['gid', 'u32'],
    ],
  },
  renameat: {
    type: MsgType.Trenameat,
    fields: [
      ['olddirfid', 'u32'],
      ['oldname', 'name'],
      ['newdirfid', 'u32'],
      ['newname', 'name'],
    ],
  },
  unlinkat: {
    type: MsgType.Tunlinkat,
    fields: [
      ['dirfid', 'u32'],
      ['name', 'name'],
      ['flags', 'u32'],
    ],
  },
} as const satisfies Record<string, Schema>;

const REPLIES = {
  lerror: { type: MsgType.Rlerror, fields: [['ecode', 'u32']] },
  version: {
    type: MsgType.Rversion,
    fields: [
      ['msize', 'u32'],
      ['version', 'str'],
    ],
  },
  auth: { type: MsgType.Rauth, fields: [['aqid', 'qid']] },
  attach: { type: MsgType.Rattach, fields: [['qid', 'qid']] },
  flush: { type: MsgType.Rflush, fields: [] },
  walk: { type: MsgType.Rwalk, fields: [['qids', 'qids']] },
  read: { type: MsgType.Rread, fields: [['data', 'data']] },
  write: { type: MsgType.Rwrite, fields: [['count', 'u32']] },
  clunk: { type: MsgType.Rclunk, fields: [] },
  remove: { type: MsgType.Rremove, fields: [] },
  statfs: {
    type: MsgType.Rstatfs,
    fields: [
      ['fsType', 'u32'],
      ['bsize', 'u32'],
      ['blocks', 'u64'],
      ['bfree', 'u64'],
      ['bavail', 'u64'],
      ['files', 'u64'],
      ['ffree', 'u64'],
      ['fsid', 'u64'],
      ['namelen', 'u32'],
    ],
  },
  lopen: {
    type: MsgType.Rlopen,
    fields: [
      ['qid', 'qid'],
      ['iounit', 'u32'],
    ],
  },
  lcreate: {
    type: MsgType.Rlcreate,
    fields: [
      ['qid', 'qid'],
      ['iounit', 'u32'],
    ],
  },
  symlink: { type: MsgType.Rsymlink, fields: [['qid', 'qid']] },
  mknod: { type: MsgType.Rmknod, fields: [['qid', 'qid']] },
  rename: { type: MsgType.Rrename, fields: [] },
  readlink: { type: MsgType.Rreadlink, fields: [['target', 'name']] },
  getattr: {
    type: MsgType.Rgetattr,
    fields: [
      ['valid', 'u64'],
      ['qid', 'qid'],
      ['mode', 'u32'],
      ['uid', 'u32'],
      ['gid', 'u32'],
      ['nlink', 'u64'],
      ['rdev', 'u64'],
      ['size', 'u64'],
      ['blksize', 'u64'],
      ['blocks', 'u64'],
      ['atimeSec', 'u64'],
      ['atimeNsec', 'u64'],
      ['mtimeSec', 'u64'],
      ['mtimeNsec', 'u64'],
      ['ctimeSec', 'u64'],
      ['ctimeNsec', 'u64'],
      ['btimeSec', 'u64'],
      ['btimeNsec', 'u64'],
      ['gen', 'u64'],
      ['dataVersion', 'u64'],
    ],
  },
  setattr: { type: MsgType.Rsetattr, fields: [] },
  xattrwalk: { type: MsgType.Rxattrwalk, fields: [['size', 'u64']] },
  xattrcreate: { type: MsgType.Rxattrcreate, fields: [] },
  readdir: { type: MsgType.Rreaddir, fields: [['data', 'data']] },
  fsync: { type: MsgType.Rfsync, fields: [] },
  lock: { type: MsgType.Rlock, fields: [['status', 'u8']] },
  getlock: {
    type: MsgType.Rgetlock,
    fields: [
      ['lockType', 'u8'],
      ['start', 'u64'],
      ['length', 'u64'],
      ['procId', 'u32'],
      ['clientId', 'name'],
    ],
  },
  link: { type: MsgType.Rlink, fields: [] },
  mkdir: { type: MsgType.Rmkdir, fields: [['qid', 'qid']] },
  renameat: { type: MsgType.Rrenameat, fields: [] },
  unlinkat: { type: MsgType.Runlinkat, fields: [] },
} as const satisfies Record<string, Schema>;

type Requests = typeof REQUESTS;
type Replies = typeof REPLIES;
export type RequestKind = keyof Requests;
export type ReplyKind = keyof Replies;

/** A decoded T-message, discriminated by `kind`. */
export type NinePRequest = {
  [K in RequestKind]: { readonly kind: K; readonly tag: number } & FieldsOf<Requests[K]['fields']>;
}[RequestKind];
/** An R-message body, discriminated by `kind` (the tag is passed separately). */
export type NinePReply = {
  [K in ReplyKind]: { readonly kind: K } & FieldsOf<Replies[K]['fields']>;
}[ReplyKind];
export type RequestOf<K extends RequestKind> = Extract<NinePRequest, { kind: K }>;
export type ReplyOf<K extends ReplyKind> = Extract<NinePReply, { kind: K }>;

function indexByType(table: Record<string, Schema>): Map<number, string> {
  return new Map(Object.entries(table).map(([kind, s]) => [s.type, kind]));
}
const requestKindByType = indexByType(REQUESTS);
const replyKindByType = indexByType(REPLIES);

// ---------------------------------------------------------------------------
// Field-level encoding

function readField(r: NinePReader, kind: FieldKind): FieldValue[FieldKind] {
  switch (kind) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u32':
      return r.u32();
    case 'u32opt':
      return r.remaining >= 4 ? r.u32() : 0;
    case 'u64':
      return r.u64();
    case 'str':
      return r.str();
    case 'name':
      return r.name();
    case 'qid':
      return r.qid();
    case 'data':
      return r.bytesOf(r.u32());
    case 'names':
      return readList(r, () => r.name());
    case 'qids':
      return readList(r, () => r.qid());
  }
}

function readList<T>(r: NinePReader, item: () => T): T[] {
  const n = r.u16();
  // Every item takes at least 2 bytes; checking first stops a tiny frame from
  // claiming 65535 items and making us loop before failing.
  if (n * 2 > r.remaining) throw new NinePDecodeError(`list of ${n} items cannot fit`);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item());
  return out;
}

function writeField(w: NinePWriter, kind: FieldKind, value: unknown): void {
  switch (kind) {
    case 'u8':
      w.u8(value as number);
      return;
    case 'u16':
      w.u16(value as number);
      return;
    case 'u32':
    case 'u32opt':
      w.u32(value as number);
      return;
    case 'u64':
      w.u64(value as bigint);
      return;
    case 'str':
      w.str(value as string);
      return;
    case 'name':
      w.name(value as Uint8Array);
      return;
    case 'qid':
      w.qid(value as Qid);
      return;
    case 'data': {
      const b = value as Uint8Array;
      w.u32(b.length).bytes(b);
      return;
    }
    case 'names':
      writeList(w, value as readonly Uint8Array[], (s) => w.name(s));
      return;
    case 'qids':
      writeList(w, value as readonly Qid[], (q) => w.qid(q));
      return;
  }
}

function writeList<T>(w: NinePWriter, items: readonly T[], item: (v: T) => void): void {
  if (items.length > 0xffff) throw new RangeError('9P list longer than 65535 items');
  w.u16(items.length);
  for (const v of items) item(v);
}

// ---------------------------------------------------------------------------
// Frames

export interface FrameHeader {
  readonly size: number;
  readonly type: number;
  readonly tag: number;
}

/**
 * Checks the framing of one whole message: at least a header, a size field
 * equal to the bytes given, and no more than msize.
 */
export function decodeHeader(frame: Uint8Array, msize: number): FrameHeader {
  if (frame.length < HEADER_SIZE)
    throw new NinePDecodeError(`frame of ${frame.length} bytes is shorter than a header`);
  // Read in place (it is 7 bytes, and every message passes through here).
  const b = (i: number): number => frame[i] as number;
  const size = (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24)) >>> 0;
  if (size < HEADER_SIZE) throw new NinePDecodeError(`size field ${size} is shorter than a header`);
  if (size > msize) throw new NinePDecodeError(`size ${size} exceeds msize ${msize}`);
  if (size !== frame.length)
    throw new NinePDecodeError(`size field ${size} but frame has ${frame.length} bytes`);
  return { size, type: b(4), tag: b(5) | (b(6) << 8) };
}

function decodeBody(frame: Uint8Array, schema: Schema): Record<string, unknown> {
  const r = new NinePReader(frame, HEADER_SIZE);
  const out: Record<string, unknown> = {};
  for (const [name, kind] of schema.fields) out[name] = readField(r, kind);
  r.end();
  return out;
}

/**
 * The writer every message is encoded in: allocating a writer (and growing
 * it) per message cost more than encoding a getattr reply's fields (4 µs
 * against 1 here).
 */
const scratch = new NinePWriter(4096);

/** The frame, in scratch: valid until the next message is encoded. */
function encodeFrame(type: number, tag: number, schema: Schema, msg: object): Uint8Array {
  const w = scratch.reset();
  w.u32(0).u8(type).u16(tag);
  const values = msg as Record<string, unknown>;
  for (const [name, kind] of schema.fields) writeField(w, kind, values[name]);
  w.patchU32(0, w.length);
  return w.written();
}

/** Thrown for a well-framed message whose type this codec does not know. */
export class NinePUnknownTypeError extends NinePDecodeError {
  constructor(readonly header: FrameHeader) {
    super(`unknown message type ${header.type}`);
  }
}

/** Decodes one T-message; throws NinePDecodeError (or its subclass for unknown types). */
export function decodeRequest(frame: Uint8Array, msize: number): NinePRequest {
  const header = decodeHeader(frame, msize);
  const kind = requestKindByType.get(header.type) as RequestKind | undefined;
  if (kind === undefined) throw new NinePUnknownTypeError(header);
  const body = decodeBody(frame, REQUESTS[kind]);
  // The schema walk above produced exactly the fields NinePRequest declares.
  return { kind, tag: header.tag, ...body } as NinePRequest;
}

export function encodeRequest(req: NinePRequest): Uint8Array {
  const schema: Schema = REQUESTS[req.kind];
  return encodeFrame(schema.type, req.tag, schema, req).slice();
}

export function encodeReply(tag: number, reply: NinePReply): Uint8Array {
  return encodeReplyView(tag, reply).slice();
}

/**
 * encodeReply without the copy, for a caller that copies the reply
 * elsewhere at once: it is valid only until the next message is encoded.
 */
export function encodeReplyView(tag: number, reply: NinePReply): Uint8Array {
  const schema: Schema = REPLIES[reply.kind];
  return encodeFrame(schema.type, tag, schema, reply);
}

/**
 * Rlerror(ecode) answering a T-message, whatever else is wrong with it: its
 * tag is read from bytes 5-6 (NOTAG when it is too short to have one).
 */
export function errorReplyTo(message: Uint8Array, ecode: number): Uint8Array {
  const tag = message.length >= 7 ? (message[5] as number) | ((message[6] as number) << 8) : NOTAG;
  return encodeReply(tag, { kind: 'lerror', ecode });
}

/** Decodes one R-message (for clients and tests). */
export function decodeReply(frame: Uint8Array, msize: number): { tag: number; reply: NinePReply } {
  const header = decodeHeader(frame, msize);
  const kind = replyKindByType.get(header.type) as ReplyKind | undefined;
  if (kind === undefined) throw new NinePUnknownTypeError(header);
  const body = decodeBody(frame, REPLIES[kind]);
  return { tag: header.tag, reply: { kind, ...body } as NinePReply };
}

// ---------------------------------------------------------------------------
// Readdir payload

/** Linux d_type values carried in 9P2000.L dirents. */
export const DirentType = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
} as const;

export interface Dirent {
  readonly qid: Qid;
  /** Cookie the client passes as the next Treaddir offset to continue after this entry. */
  readonly offset: bigint;
  readonly type: number;
  /** The entry's name as the host's bytes (not necessarily UTF-8). */
  readonly name: Uint8Array;
}

export function direntSize(name: Uint8Array): number {
  return 13 + 8 + 1 + 2 + name.length;
}

export function encodeDirents(entries: readonly Dirent[]): Uint8Array {
  const w = scratch.reset();
  for (const e of entries) w.qid(e.qid).u64(e.offset).u8(e.type).name(e.name);
  return w.finish();
}

export function decodeDirents(data: Uint8Array): Dirent[] {
  const r = new NinePReader(data);
  const out: Dirent[] = [];
  while (r.remaining > 0) out.push({ qid: r.qid(), offset: r.u64(), type: r.u8(), name: r.name() });
  return out;
}
