// 9P storage on a host directory (the engine is src/core/ninep/engine.ts).
//
// Confinement is the property that matters most. The engine hands over
// paths of checked single components, so the host path is always
// root/component/... with no '/', NUL, '.' or '..' inside a component, and
// its walk never goes through a symlink. Here, the last component is never
// followed either: opens use O_NOFOLLOW, and the other calls act on a
// symlink itself (lstat, lutimes, lchown, unlink, rename, link).
//
// The tree can change under a fid: another mount of the same directory, or
// a host process, may swap a directory for a symlink after the walk. So
// every operation first checks that the parent still resolves to its
// literal path (at()), and every opened file is checked to be inside the
// export through /proc/self/fd (inside()), which looks at what was really
// opened. What is left is a swap in the instant between at()'s check and a
// path operation such as mkdir or unlink; closing that needs openat()-style
// calls that Node does not offer.
//
// Names are bytes. A Linux file name is any bytes but '/' and NUL, in no
// particular encoding, so host paths are Buffers from the wire to the fs
// call and back (Node's fs takes Buffer paths and lists with encoding
// 'buffer'). A string in between would turn "a\xffb" into something else.
//
// Every call is synchronous (the engine's contract): on a local disk a
// metadata call takes microseconds, where a trip through libuv's thread
// pool costs tens, and a read or write of one 9P message (at most 1 MiB)
// holds the thread for well under a millisecond.

import {
  closeSync,
  constants as C,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  chmodSync,
  type BigIntStats,
} from 'node:fs';
import path from 'node:path';
import {
  fail,
  isDir,
  isRegular,
  type NineFile,
  type NineListed,
  type NinePBackend,
  type NineStat,
  type NineStatfs,
  type OpenMode,
} from '../../core/ninep/backend.js';
import { Errno } from '../../core/errno.js';

type Path = readonly Uint8Array[];

/** The host's path separator, as the byte that joins components. */
const SEP = Buffer.from(path.sep);

// On Windows a backslash also separates and ':' starts a drive or stream,
// so neither may appear in a component there (the engine refuses '/' and NUL).
const NOT_IN_NAME: readonly number[] = process.platform === 'win32' ? [0x5c, 0x3a] : [];

export class NodeFsBackend implements NinePBackend {
  /** The export's real path, as bytes. */
  private readonly root: Buffer;
  /** root followed by one separator: what every path inside it starts with. */
  private readonly rootPrefix: Buffer;
  /** Parent directories realpath() passed, by host path (latin1: any bytes). */
  private readonly checked = new Map<string, DirId>();

  /** root: the host directory to export (a Buffer for a path that is not UTF-8). */
  constructor(root: string | Buffer) {
    // Resolve once so the root itself may be reached through a symlink; all
    // later paths are built under this real directory. .native: the JS
    // realpathSync resolves through strings, which would garble a root
    // whose path is not UTF-8.
    this.root = realpathSync.native(root, { encoding: 'buffer' });
    // A root of "/" already ends in the separator.
    this.rootPrefix = this.root.subarray(-1).equals(SEP)
      ? this.root
      : Buffer.concat([this.root, SEP]);
  }

  lstat(p: Path): NineStat {
    // throwIfNoEntry: a missing name is a common answer, and Node's error
    // object for it costs more than the call.
    const st = lstatSync(this.at(p), { bigint: true, throwIfNoEntry: false });
    return st === undefined ? fail(Errno.ENOENT) : statOf(st);
  }

  list(p: Path): NineListed[] {
    const dir = this.at(p);
    const out: NineListed[] = [];
    // encoding 'buffer': the names as they are on disk, UTF-8 or not.
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      try {
        out.push({ name, stat: statOf(lstatSync(join(dir, name), { bigint: true })) });
      } catch {
        // removed since the listing
      }
    }
    return out;
  }

  open(p: Path, mode: OpenMode): NineFile {
    return this.openChecked(this.at(p), hostFlags(mode));
  }

  create(p: Path, mode: OpenMode, perm: number, exclusive: boolean): NineFile {
    const flags = hostFlags(mode) | C.O_CREAT | (exclusive ? C.O_EXCL : 0);
    return this.openChecked(this.at(p), flags, perm);
  }

  mkdir(p: Path, perm: number): void {
    mkdirSync(this.at(p), perm);
  }

  symlink(p: Path, target: Uint8Array): void {
    // Linux refuses an empty target before it looks at the new name.
    if (target.length === 0) fail(Errno.ENOENT);
    // Stored as the guest's bytes and never followed by this server.
    symlinkSync(bytes(target), this.at(p));
  }

  readlink(p: Path): Uint8Array {
    return readlinkSync(this.at(p), { encoding: 'buffer' });
  }

  link(existing: Path, p: Path): void {
    const source = this.at(existing);
    // Linux's link(2) links a symlink itself, but macOS's follows it, which
    // would give the export a hard link to a file outside it.
    if (process.platform !== 'linux' && lstatSync(source).isSymbolicLink()) fail(Errno.EPERM);
    linkSync(source, this.at(p));
  }

  unlink(p: Path): void {
    const host = this.at(p);
    // Linux's unlink(2) says EISDIR for a directory; macOS's says EPERM.
    if (process.platform !== 'linux' && lstatSync(host).isDirectory()) fail(Errno.EISDIR);
    unlinkSync(host);
  }

  rmdir(p: Path): void {
    rmdirSync(this.at(p));
  }

  rename(from: Path, to: Path): void {
    renameSync(this.at(from), this.at(to));
  }

  chmod(p: Path, perm: number): void {
    // chmod follows a symlink: the engine refuses symlinks before this.
    chmodSync(this.at(p), perm);
  }

  chown(p: Path, uid: number, gid: number): void {
    lchownSync(this.at(p), uid, gid);
  }

  truncate(p: Path, size: number): void {
    const file = this.openChecked(this.at(p), C.O_WRONLY);
    try {
      file.truncate(size);
    } finally {
      file.close();
    }
  }

  utimes(p: Path, atimeNs: bigint, mtimeNs: bigint): void {
    // lutimes: times of a symlink itself, never of what it points to.
    lutimesSync(this.at(p), seconds(atimeNs), seconds(mtimeNs));
  }

  statfs(p: Path): NineStatfs {
    // statfs() follows symlinks, so ask about the directory holding a
    // non-directory (same filesystem, and it cannot lead outside).
    const target = isDir(this.lstat(p)) ? p : p.slice(0, -1);
    const s = statfsSync(this.at(target), { bigint: true });
    return {
      fsType: Number(BigInt.asUintN(32, s.type)),
      bsize: Number(BigInt.asUintN(32, s.bsize)),
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
    };
  }

  // -------------------------------------------------------------------------

  /** root/part/part…, built from bytes (path.join would need strings). */
  private hostPath(parts: Path): Buffer {
    const [first, ...rest] = parts;
    if (first === undefined) return this.root;
    const joined: Buffer[] = [this.rootPrefix, bytes(first)];
    for (const p of rest) joined.push(SEP, bytes(p));
    for (const p of parts) if (NOT_IN_NAME.some((b) => p.includes(b))) fail(Errno.EINVAL);
    return Buffer.concat(joined);
  }

  /**
   * The host path of parts, for an operation on it now. The engine's walk
   * saw only real directories on the way, but the tree may have changed
   * since: another mount or connection of the same directory, or a host
   * process, can swap one of them for a symlink pointing out of the
   * export. So the parent must resolve to its literal path: no symlink on
   * the way. (The last component is handled by each operation.) Holding
   * the parent open and going through /proc/self/fd/N instead, as openat()
   * would, measured slower here: 2.9 µs a call against realpath's 2.6.
   */
  private at(parts: Path): Buffer {
    if (parts.length > 1) this.checkParent(this.hostPath(parts.slice(0, -1)));
    return this.hostPath(parts);
  }

  /**
   * Refuses a parent that does not resolve to its literal path. realpath()
   * reads every component of the path (1.5 µs here for three), so a parent
   * it passed is remembered by the directory's identity, and next time one
   * lstat() (0.7 µs) that finds the same directory is enough: a directory
   * has one name, so if the path leads to the one found inside the export,
   * it leads inside the export. A symlink swapped in on the way leads to
   * another directory, and one made since with the inode number of a
   * removed one differs in its birth time. (What this does not see is a
   * host process moving a checked directory out of the export and leaving
   * a symlink to it: then the guest still reaches that directory, which it
   * could reach before the move.)
   */
  private checkParent(parent: Buffer): void {
    const key = parent.toString('latin1');
    const known = this.checked.get(key);
    if (known !== undefined) {
      const st = lstatSync(parent, { bigint: true, throwIfNoEntry: false });
      if (st !== undefined && st.isDirectory() && sameDir(st, known)) return;
      this.checked.delete(key);
    }
    const before = lstatSync(parent, { bigint: true, throwIfNoEntry: false });
    if (!realpathSync.native(parent, { encoding: 'buffer' }).equals(parent)) fail(Errno.EACCES);
    // Remembered only if it is the same directory before and after the check.
    const after = lstatSync(parent, { bigint: true, throwIfNoEntry: false });
    if (before === undefined || after === undefined || !after.isDirectory()) return;
    const id: DirId = { dev: after.dev, ino: after.ino, birthNs: after.birthtimeNs };
    if (!sameDir(before, id)) return;
    if (this.checked.size >= MAX_CHECKED) this.checked.clear();
    this.checked.set(key, id);
  }

  /**
   * Opens a regular file that must be inside the export. O_NOFOLLOW: if the
   * name became a symlink since the engine looked, fail (ELOOP). O_NONBLOCK:
   * if it became a FIFO, do not wait for a writer (it is refused below).
   */
  private openChecked(p: Buffer, flags: number, perm?: number): NineFile {
    const fd = openSync(p, flags | C.O_NOFOLLOW | C.O_NONBLOCK, perm);
    let st: NineStat;
    try {
      st = statOf(fstatSync(fd, { bigint: true }));
      // A device node or FIFO in the export would act on the host itself.
      if (!isRegular(st)) fail(Errno.EOPNOTSUPP);
      this.checkInside(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new NodeFile(fd, st);
  }

  /**
   * What the kernel actually opened must be inside the export, not just what
   * a path said a moment before (Linux hosts; elsewhere the parent check in
   * at() is what there is).
   */
  private checkInside(fd: number): void {
    if (process.platform !== 'linux') return;
    // As bytes: the path of a file with a non-UTF-8 name is no string.
    const real = readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' });
    const under = real.subarray(0, this.rootPrefix.length).equals(this.rootPrefix);
    if (!real.equals(this.root) && !under) fail(Errno.EACCES);
  }
}

/** A directory's identity: inode numbers are reused, birth times are not. */
interface DirId {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly birthNs: bigint;
}

/** Parents remembered at most (a deep tree's worth); then it starts again. */
const MAX_CHECKED = 4096;

function sameDir(st: BigIntStats | DirId, id: DirId): boolean {
  const birthNs = 'birthNs' in st ? st.birthNs : st.birthtimeNs;
  return st.dev === id.dev && st.ino === id.ino && birthNs === id.birthNs;
}

class NodeFile implements NineFile {
  /**
   * @param opened its attributes when opened, which answer the first stat()
   *   (a create's reply asks at once; nothing can have changed in between
   *   that the reply must show)
   */
  constructor(
    private readonly fd: number,
    private opened: NineStat | null,
  ) {}

  read(buf: Uint8Array, pos: number): number {
    return readSync(this.fd, buf, 0, buf.length, pos);
  }

  write(data: Uint8Array, pos: number): number {
    // With O_APPEND, Linux's pwrite appends whatever the position says.
    return writeSync(this.fd, data, 0, data.length, pos);
  }

  truncate(size: number): void {
    ftruncateSync(this.fd, size);
  }

  sync(dataOnly: boolean): void {
    if (dataOnly) fdatasyncSync(this.fd);
    else fsyncSync(this.fd);
  }

  stat(): NineStat {
    const first = this.opened;
    this.opened = null;
    return first ?? statOf(fstatSync(this.fd, { bigint: true }));
  }

  close(): void {
    closeSync(this.fd);
  }
}

function statOf(st: BigIntStats): NineStat {
  return {
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: st.nlink,
    rdev: st.rdev,
    size: st.size,
    blksize: st.blksize,
    blocks: st.blocks,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    ino: st.ino,
    dev: st.dev,
  };
}

/** Node's access-mode and flag values for what the guest asked. */
function hostFlags(mode: OpenMode): number {
  let flags = mode.access === 1 ? C.O_WRONLY : mode.access === 2 ? C.O_RDWR : C.O_RDONLY;
  if (mode.truncate) flags |= C.O_TRUNC;
  if (mode.append) flags |= C.O_APPEND;
  return flags;
}

/** A name from the engine as a Buffer over the same bytes. */
function bytes(name: Uint8Array): Buffer {
  return Buffer.from(name.buffer, name.byteOffset, name.length);
}

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, SEP, name]);
}

/** ns since the epoch as the seconds Node's utimes takes. */
function seconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}
