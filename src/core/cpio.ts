// Writer for the cpio "newc" (070701) format that the kernel's initramfs
// unpacker reads.
//
// Layout of each member: a 110-byte ASCII header (magic + 13 eight-digit
// hex fields), the NUL-terminated name padded so header+name is a multiple
// of 4, then the data padded to a multiple of 4. The archive ends with a
// member named TRAILER!!!. Names are validated strictly because the kernel
// unpacker trusts them and creates them relative to the rootfs root.

export type CpioEntry =
  | (CpioCommon & { readonly type: 'file'; readonly data: Uint8Array })
  | (CpioCommon & { readonly type: 'dir' })
  | (CpioCommon & { readonly type: 'symlink'; readonly target: string })
  | (CpioCommon & {
      readonly type: 'char' | 'block';
      readonly major: number;
      readonly minor: number;
    });

export interface CpioCommon {
  /** Relative path, '/'-separated, no leading '/', no '.' or '..' components. */
  readonly path: string;
  /** Permission bits only (0..0o7777); the file-type bits are derived from `type`. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Seconds since the epoch. */
  readonly mtime?: number;
}

export class CpioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CpioError';
  }
}

const S_IFMT: Readonly<Record<CpioEntry['type'], number>> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  char: 0o020000,
  block: 0o060000,
};

const MAGIC = '070701';
const TRAILER = 'TRAILER!!!';
const U32_MAX = 0xffffffff;
const enc = new TextEncoder();

/** Throws CpioError unless `path` is a safe archive member name. */
export function validateCpioPath(path: string): void {
  if (path.length === 0) throw new CpioError('cpio: empty path');
  if (path.includes('\0'))
    throw new CpioError(`cpio: path ${JSON.stringify(path)} contains a NUL byte`);
  if (path.startsWith('/'))
    throw new CpioError(`cpio: path "${path}" must be relative (no leading '/')`);
  if (path === TRAILER)
    throw new CpioError(`cpio: path "${path}" is reserved for the archive trailer`);
  for (const part of path.split('/')) {
    if (part === '') throw new CpioError(`cpio: path "${path}" has an empty component`);
    if (part === '..') throw new CpioError(`cpio: path "${path}" contains a '..' component`);
    if (part === '.') throw new CpioError(`cpio: path "${path}" contains a '.' component`);
  }
}

function checkU32(value: number, what: string, path: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new CpioError(`cpio: ${what} ${value} of "${path}" is not an unsigned 32-bit integer`);
  }
  return value;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Member {
  readonly name: Uint8Array;
  readonly fields: readonly number[];
  readonly data: Uint8Array;
}

function header(
  ino: number,
  mode: number,
  uid: number,
  gid: number,
  nlink: number,
  mtime: number,
  size: number,
  rdevMajor: number,
  rdevMinor: number,
  nameSize: number,
): number[] {
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  return [ino, mode, uid, gid, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor, nameSize, 0];
}

function toMember(e: CpioEntry, ino: number): Member {
  validateCpioPath(e.path);
  const perm = checkU32(e.mode, 'mode', e.path);
  if (perm > 0o7777)
    throw new CpioError(`cpio: mode 0o${perm.toString(8)} of "${e.path}" has bits outside 0o7777`);
  const uid = checkU32(e.uid ?? 0, 'uid', e.path);
  const gid = checkU32(e.gid ?? 0, 'gid', e.path);
  const mtime = checkU32(e.mtime ?? 0, 'mtime', e.path);
  const name = enc.encode(e.path);
  let data: Uint8Array = new Uint8Array(0);
  let rdevMajor = 0;
  let rdevMinor = 0;
  switch (e.type) {
    case 'file':
      data = e.data;
      break;
    case 'symlink':
      if (e.target.length === 0 || e.target.includes('\0')) {
        throw new CpioError(`cpio: symlink "${e.path}" needs a non-empty target without NUL`);
      }
      data = enc.encode(e.target);
      break;
    case 'char':
    case 'block':
      rdevMajor = checkU32(e.major, 'major', e.path);
      rdevMinor = checkU32(e.minor, 'minor', e.path);
      break;
    case 'dir':
      break;
  }
  checkU32(data.length, 'size', e.path);
  const nlink = e.type === 'dir' ? 2 : 1;
  const fields = header(
    ino,
    S_IFMT[e.type] | perm,
    uid,
    gid,
    nlink,
    mtime,
    data.length,
    rdevMajor,
    rdevMinor,
    name.length + 1,
  );
  return { name, fields, data };
}

function encodeMember(m: Member, out: Uint8Array, at: number): number {
  const hdr = MAGIC + m.fields.map(hex8).join('');
  for (let i = 0; i < hdr.length; i++) out[at + i] = hdr.charCodeAt(i);
  let p = at + hdr.length;
  out.set(m.name, p);
  p += m.name.length + 1; // NUL terminator (buffer is zero-filled)
  p += pad4(p - at);
  out.set(m.data, p);
  p += m.data.length;
  p += pad4(m.data.length);
  return p;
}

function memberSize(m: Member): number {
  const head = 110 + m.name.length + 1;
  return head + pad4(head) + m.data.length + pad4(m.data.length);
}

/** Serialize entries, in the given order, as a newc archive with a trailer. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const seen = new Set<string>();
  const members: Member[] = [];
  for (const [i, e] of entries.entries()) {
    if (seen.has(e.path)) throw new CpioError(`cpio: duplicate path "${e.path}"`);
    seen.add(e.path);
    members.push(toMember(e, i + 1)); // inode 0 is left for the trailer
  }
  const trailerName = enc.encode(TRAILER);
  members.push({
    name: trailerName,
    fields: header(0, 0, 0, 0, 1, 0, 0, 0, 0, trailerName.length + 1),
    data: new Uint8Array(0),
  });
  const out = new Uint8Array(members.reduce((n, m) => n + memberSize(m), 0));
  let at = 0;
  for (const m of members) at = encodeMember(m, out, at);
  return out;
}
