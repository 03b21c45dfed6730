// A 9P2000.L file server exporting one host directory (groundwork for
// "filesystems from the host over 9P"): one T-message in, one R-message out.
//
// Confinement is the property that matters most. A fid names a file by a list
// of validated single path components below the export root (never a host
// path string taken from the wire), so the host path is always
// root/component/... with no '/', NUL, '.' or '..' inside a component. Walk
// never follows symlinks (it lstat()s each step and stops at a symlink, which
// it reports with its own qid, as Linux v9fs expects), so every directory a
// fid can reach by walking is a real directory inside the root. The final
// component of an open is opened with O_NOFOLLOW, and other operations use
// calls that act on a symlink itself (lstat, lutimes, unlink, rename, link).
//
// The tree can change under a fid: another mount of the same directory, or a
// host process, may swap a directory for a symlink after the walk. So every
// operation first checks that the parent still resolves to its literal path
// (at()), and every opened file is checked to be inside the export through
// /proc/self/fd (inside()), which looks at what was really opened. What is
// left is a swap in the instant between at()'s check and a path operation
// such as mkdir or unlink; closing that needs openat()-style calls that Node
// does not offer.
//
// Names are bytes. A Linux file name is any bytes but '/' and NUL, in no
// particular encoding, so components, host paths, symlink targets and
// directory listings are Buffers here from the wire to the fs call and back
// (Node's fs takes Buffer paths and lists with encoding 'buffer'). A string
// in between would turn "a\xffb" into something else, or refuse it.

import {
  constants as C,
  promises as fsp,
  lstatSync,
  readlinkSync,
  realpathSync,
  unlinkSync,
  type BigIntStats,
  type Stats,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  AT_REMOVEDIR,
  DirentType,
  GetattrMask,
  HEADER_SIZE,
  LockType,
  MAX_WALK_NAMES,
  NinePUnknownTypeError,
  QidType,
  SetattrMask,
  decodeHeader,
  decodeRequest,
  direntSize,
  encodeDirents,
  encodeReply,
  type Dirent,
  type NinePReply,
  type NinePRequest,
  type Qid,
  type RequestOf,
} from '../../core/ninep/codec.js';
import { DEFAULT_MAX_LOCK_RECORDS, processLocks, type LockSession } from './locks.js';

/**
 * The metadata calls a guest makes most (a create+stat+unlink is 16
 * requests, most of them walks and getattrs), made synchronously: on a
 * local disk each takes microseconds, while the promise versions' trip
 * through libuv's thread pool costs tens. File data, opens and closes stay
 * asynchronous. Still async functions, so a failure is a rejection.
 */
const quick = {
  lstat: async (p: Buffer): Promise<Stats> => lstatSync(p),
  lstatBig: async (p: Buffer): Promise<BigIntStats> => lstatSync(p, { bigint: true }),
  realpath: async (p: Buffer): Promise<Buffer> => realpathSync.native(p, { encoding: 'buffer' }),
  readlink: async (p: Buffer | string): Promise<Buffer> => readlinkSync(p, { encoding: 'buffer' }),
  unlink: async (p: Buffer): Promise<void> => unlinkSync(p),
};

/** A host path or one component of it, as bytes (see the top of this file). */
type HostBytes = Buffer;

export interface NinePServerOptions {
  /** Host directory to export (a Buffer for a path that is not UTF-8). */
  readonly root: string | Buffer;
  readonly readOnly: boolean;
  /** Largest msize the server agrees to (default 1 MiB). */
  readonly maxMsize?: number;
  /** Byte-range lock records this server's client may hold (default 10 000). */
  readonly maxLocks?: number;
}

/** Linux errno values sent in Rlerror. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  EFBIG: 27,
  ETXTBSY: 26,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  EPROTO: 71,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  EDQUOT: 122,
} as const;

/** An operation failure carrying the errno to report. */
class NinePError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/** Node error codes (as in err.code) mapped to Linux errno numbers. */
// Node reports errors by symbolic name (the same on every host OS), so mapping
// names rather than numbers gives Linux numbers even on a macOS host.
function errnoOf(err: unknown): number {
  if (err instanceof NinePError) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return Errno.EIO;
  if (code in Errno) return Errno[code as keyof typeof Errno];
  if (code === 'ENOTSUP') return Errno.EOPNOTSUPP; // macOS's name for it
  if (code === 'EWOULDBLOCK') return Errno.EAGAIN;
  // Node's own argument checks (ERR_OUT_OF_RANGE, ERR_INVALID_ARG_VALUE...).
  if (code.startsWith('ERR_')) return Errno.EINVAL;
  return Errno.EIO;
}

const DEFAULT_MSIZE = 1024 * 1024;
/** Smallest msize accepted: room for a header plus a useful payload. */
const MIN_MSIZE = 512;
/** Rread/Rreaddir overhead: header + count[4]. */
const IO_OVERHEAD = HEADER_SIZE + 4;
const NAME_MAX = 255;

interface OpenDir {
  /** Entries snapshotted when reading starts at offset 0; cookies index into it. */
  entries?: Dirent[];
}

interface Fid {
  /** Validated components below the export root; [] is the root itself. */
  parts: HostBytes[];
  file?: FileHandle;
  dir?: OpenDir;
}

/** Linux open(2) flag bits, as sent in Tlopen/Tlcreate. */
const L = {
  ACCMODE: 3,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  DIRECTORY: 0o200000,
} as const;

export class NinePServer {
  /** The export's real path, as bytes. */
  private readonly root: HostBytes;
  /** root followed by one separator: what every path inside it starts with. */
  private readonly rootPrefix: HostBytes;
  private readonly readOnly: boolean;
  private readonly maxMsize: number;
  private msize: number;
  private readonly fids = new Map<number, Fid>();
  /** This connection's locks, in the table shared with every other server in the process. */
  private readonly locks: LockSession;

  constructor(options: NinePServerOptions) {
    // Resolve once so the root itself may be reached through a symlink; all
    // later paths are built under this real directory.
    // .native: the JS realpathSync resolves through strings, which would
    // garble a root whose path is not UTF-8.
    this.root = realpathSync.native(options.root, { encoding: 'buffer' });
    // A root of "/" already ends in the separator.
    this.rootPrefix = this.root.subarray(-1).equals(SEP)
      ? this.root
      : Buffer.concat([this.root, SEP]);
    this.readOnly = options.readOnly;
    this.maxMsize = Math.max(MIN_MSIZE, options.maxMsize ?? DEFAULT_MSIZE);
    this.msize = this.maxMsize;
    this.locks = processLocks.session(options.maxLocks ?? DEFAULT_MAX_LOCK_RECORDS);
  }

  /**
   * Handles one whole T-message. Returns the R-message, or null when the frame
   * is too broken to carry a tag to answer (the caller should then drop the
   * connection, since stream framing can no longer be trusted). Never throws.
   * Requests touching the same fid should not overlap in time: fid state is
   * updated after the host operation completes.
   */
  async handle(message: Uint8Array): Promise<Uint8Array | null> {
    let tag: number;
    try {
      tag = decodeHeader(message, this.msize).tag;
    } catch {
      return null;
    }
    let req: NinePRequest;
    try {
      req = decodeRequest(message, this.msize);
    } catch (err) {
      const errno = err instanceof NinePUnknownTypeError ? Errno.ENOSYS : Errno.EPROTO;
      return this.reply(tag, { kind: 'lerror', ecode: errno });
    }
    try {
      return this.reply(tag, await this.dispatch(req));
    } catch (err) {
      return this.reply(tag, { kind: 'lerror', ecode: errnoOf(err) });
    }
  }

  /** Closes every open file and drops every lock (on disconnect). */
  async close(): Promise<void> {
    // A client that is gone can never unlock, so its locks must not outlive it.
    this.locks.releaseAll();
    for (const fid of [...this.fids.keys()]) await this.dropFid(fid);
  }

  private reply(tag: number, r: NinePReply): Uint8Array {
    try {
      return encodeReply(tag, r);
    } catch {
      // Only a bug (e.g. a string too long for 9P) gets here; answer rather
      // than throw, since handle() promises never to.
      return encodeReply(tag, { kind: 'lerror', ecode: Errno.EIO });
    }
  }

  private dispatch(req: NinePRequest): Promise<NinePReply> | NinePReply {
    switch (req.kind) {
      case 'version':
        return this.version(req);
      case 'auth':
        // No authentication: Linux mounts without Tauth unless asked to.
        throw new NinePError(Errno.EOPNOTSUPP);
      case 'attach':
        return this.attach(req);
      case 'flush':
        // No operation here can be cancelled, so a flush only acknowledges. A
        // transport running requests concurrently must send this Rflush after
        // the flushed request's own reply, as 9P requires.
        return { kind: 'flush' };
      case 'walk':
        return this.walk(req);
      case 'lopen':
        return this.lopen(req);
      case 'lcreate':
        return this.lcreate(req);
      case 'read':
        return this.read(req);
      case 'write':
        return this.write(req);
      case 'readdir':
        return this.readdir(req);
      case 'getattr':
        return this.getattr(req);
      case 'setattr':
        return this.setattr(req);
      case 'mkdir':
        return this.mkdir(req);
      case 'unlinkat':
        return this.unlinkat(req);
      case 'renameat':
        return this.renameat(req);
      case 'rename':
        return this.rename(req);
      case 'symlink':
        return this.symlink(req);
      case 'readlink':
        return this.readlink(req);
      case 'link':
        return this.link(req);
      case 'statfs':
        return this.statfs(req);
      case 'fsync':
        return this.fsync(req);
      case 'lock':
        return this.lock(req);
      case 'getlock':
        return this.getlock(req);
      case 'clunk':
        return this.clunk(req);
      case 'remove':
        return this.remove(req);
      case 'mknod':
        this.checkWritable();
        throw new NinePError(Errno.EPERM);
      case 'xattrwalk':
      case 'xattrcreate':
        // No extended attributes: v9fs treats EOPNOTSUPP as "none".
        throw new NinePError(Errno.EOPNOTSUPP);
    }
  }

  // -------------------------------------------------------------------------
  // Helpers

  private fid(n: number): Fid {
    const f = this.fids.get(n);
    if (f === undefined) throw new NinePError(Errno.EBADF);
    return f;
  }

  /** root/part/part…, built from bytes (path.join would need strings). */
  private hostPath(parts: readonly HostBytes[]): HostBytes {
    const [first, ...rest] = parts;
    if (first === undefined) return this.root;
    const joined: HostBytes[] = [this.rootPrefix, first];
    for (const p of rest) joined.push(SEP, p);
    return Buffer.concat(joined);
  }

  /**
   * The host path of parts, for an operation on it now. Walk saw only real
   * directories on the way when it made the fid, but the tree may have
   * changed since: another mount or connection of the same directory, or a
   * host process, can swap one of them for a symlink pointing out of the
   * export. So the parent must resolve to its literal path: no symlink on
   * the way. (The last component is handled by each operation: O_NOFOLLOW,
   * lstat, unlink, rename, which never follow it.)
   */
  private async at(parts: readonly HostBytes[]): Promise<HostBytes> {
    if (parts.length > 1) {
      const parent = this.hostPath(parts.slice(0, -1));
      if (!(await quick.realpath(parent)).equals(parent)) throw new NinePError(Errno.EACCES);
    }
    return this.hostPath(parts);
  }

  /**
   * Makes sure an opened file is inside the export, closing it if not: what
   * the kernel actually opened, not what a path said a moment before (Linux
   * hosts; elsewhere the parent check in at() is what there is).
   */
  private async inside(file: FileHandle): Promise<FileHandle> {
    if (process.platform !== 'linux') return file;
    // As bytes: the path of a file with a non-UTF-8 name is no string.
    const real = await quick.readlink(`/proc/self/fd/${file.fd}`);
    const under = real.subarray(0, this.rootPrefix.length).equals(this.rootPrefix);
    if (real.equals(this.root) || under) return file;
    await file.close();
    throw new NinePError(Errno.EACCES);
  }

  private checkWritable(): void {
    if (this.readOnly) throw new NinePError(Errno.EROFS);
  }

  /** A name that creates or removes an entry: one real component. */
  private static checkName(name: HostBytes): void {
    if (isDotName(name) || !isComponent(name)) throw new NinePError(Errno.EINVAL);
    if (name.length > NAME_MAX) throw new NinePError(Errno.ENAMETOOLONG);
  }

  /** The fid must name a directory; returns its components. */
  private async dirParts(n: number): Promise<HostBytes[]> {
    const parts = this.fid(n).parts;
    const st = await quick.lstat(await this.at(parts));
    if (!st.isDirectory()) throw new NinePError(Errno.ENOTDIR);
    return parts;
  }

  private async childPath(dirFid: number, wireName: Uint8Array): Promise<HostBytes[]> {
    const name = bytes(wireName);
    NinePServer.checkName(name);
    return [...(await this.dirParts(dirFid)), name];
  }

  private async qidOf(parts: readonly HostBytes[]): Promise<Qid> {
    return qidFromStats(await quick.lstatBig(await this.at(parts)));
  }

  private async dropFid(n: number): Promise<void> {
    const f = this.fids.get(n);
    this.fids.delete(n);
    await f?.file?.close().catch(() => undefined);
  }

  private iounit(): number {
    return this.msize - IO_OVERHEAD;
  }

  // -------------------------------------------------------------------------
  // Session

  private async version(req: RequestOf<'version'>): Promise<NinePReply> {
    // Tversion starts a new session: every fid of the old one is gone.
    await this.close();
    const msize = Math.min(req.msize, this.maxMsize);
    if (!req.version.startsWith('9P2000.L') || msize < MIN_MSIZE)
      return { kind: 'version', msize, version: 'unknown' };
    this.msize = msize;
    return { kind: 'version', msize, version: '9P2000.L' };
  }

  private async attach(req: RequestOf<'attach'>): Promise<NinePReply> {
    if (this.fids.has(req.fid)) throw new NinePError(Errno.EBADF);
    // The aname (mount -o aname=sub/dir) picks a directory of the export to
    // mount, walked like any path: a start, not a new boundary (the export
    // root stays that). '' is the export root.
    const parts: HostBytes[] = [];
    for (const name of splitPath(bytes(req.aname))) await this.step(parts, name);
    const qid = await this.qidOf(parts);
    if (qid.type !== QidType.DIR) throw new NinePError(Errno.ENOTDIR);
    this.fids.set(req.fid, { parts });
    return { kind: 'attach', qid };
  }

  private async clunk(req: RequestOf<'clunk'>): Promise<NinePReply> {
    this.fid(req.fid);
    await this.dropFid(req.fid);
    return { kind: 'clunk' };
  }

  // -------------------------------------------------------------------------
  // Walk

  private async walk(req: RequestOf<'walk'>): Promise<NinePReply> {
    const from = this.fid(req.fid);
    if (req.names.length > MAX_WALK_NAMES) throw new NinePError(Errno.EINVAL);
    if (req.newfid !== req.fid && this.fids.has(req.newfid)) throw new NinePError(Errno.EBADF);
    const parts = [...from.parts];
    const qids: Qid[] = [];
    for (const name of req.names) {
      try {
        qids.push(await this.step(parts, bytes(name)));
      } catch (err) {
        // Per 9P: failing on the first name is an error; later, a short Rwalk.
        if (qids.length === 0) throw err;
        return { kind: 'walk', qids };
      }
    }
    if (req.newfid === req.fid) await this.dropFid(req.fid);
    this.fids.set(req.newfid, { parts });
    return { kind: 'walk', qids };
  }

  /** Moves `parts` one component along `name` without following symlinks. */
  private async step(parts: HostBytes[], name: HostBytes): Promise<Qid> {
    if (!isComponent(name)) throw new NinePError(Errno.EINVAL);
    // Only directories can be walked out of; a symlink reached by walk is a
    // leaf, which is what keeps walk from escaping the export.
    const here = await quick.lstat(await this.at(parts));
    if (!here.isDirectory()) throw new NinePError(Errno.ENOTDIR);
    if (name.equals(DOTDOT))
      parts.pop(); // at the root, pop() leaves [] (root's parent is root)
    else if (!name.equals(DOT)) {
      if (name.length > NAME_MAX) throw new NinePError(Errno.ENAMETOOLONG);
      parts.push(name);
    }
    return this.qidOf(parts);
  }

  // -------------------------------------------------------------------------
  // Open, create, I/O

  private async lopen(req: RequestOf<'lopen'>): Promise<NinePReply> {
    const f = this.fid(req.fid);
    if (f.file !== undefined || f.dir !== undefined) throw new NinePError(Errno.EBADF);
    const flags = req.flags & ~(L.CREAT | L.EXCL);
    if (writesData(flags)) this.checkWritable();
    const p = await this.at(f.parts);
    const st = await quick.lstatBig(p);
    if (st.isSymbolicLink()) throw new NinePError(Errno.ELOOP);
    if (st.isDirectory()) {
      if ((flags & L.ACCMODE) !== 0) throw new NinePError(Errno.EISDIR);
      f.dir = {};
    } else {
      if ((flags & L.DIRECTORY) !== 0) throw new NinePError(Errno.ENOTDIR);
      // A device node or FIFO in the export would act on the host itself (and
      // opening a FIFO blocks a libuv worker thread until a writer appears).
      if (!st.isFile()) throw new NinePError(Errno.EOPNOTSUPP);
      // O_NOFOLLOW: if the file became a symlink since the lstat, fail (ELOOP).
      f.file = await this.inside(await fsp.open(p, hostOpenFlags(flags) | C.O_NOFOLLOW));
    }
    return { kind: 'lopen', qid: qidFromStats(st), iounit: this.iounit() };
  }

  private async lcreate(req: RequestOf<'lcreate'>): Promise<NinePReply> {
    this.checkWritable();
    const f = this.fid(req.fid);
    if (f.file !== undefined || f.dir !== undefined) throw new NinePError(Errno.EBADF);
    const parts = await this.childPath(req.fid, req.name);
    const flags = hostOpenFlags(req.flags) | C.O_CREAT | C.O_NOFOLLOW;
    const file = await this.inside(await fsp.open(await this.at(parts), flags, req.mode & 0o7777));
    // The fid now stands for the new, open file (as the protocol says).
    f.parts = parts;
    f.file = file;
    return { kind: 'lcreate', qid: await this.qidOf(parts), iounit: this.iounit() };
  }

  private openFile(n: number): FileHandle {
    const f = this.fid(n);
    if (f.dir !== undefined) throw new NinePError(Errno.EISDIR);
    if (f.file === undefined) throw new NinePError(Errno.EBADF);
    return f.file;
  }

  private async read(req: RequestOf<'read'>): Promise<NinePReply> {
    const file = this.openFile(req.fid);
    const count = Math.min(req.count, this.iounit());
    const buf = new Uint8Array(count);
    const { bytesRead } = await file.read(buf, 0, count, safePosition(req.offset));
    return { kind: 'read', data: buf.subarray(0, bytesRead) };
  }

  private async write(req: RequestOf<'write'>): Promise<NinePReply> {
    this.checkWritable();
    const file = this.openFile(req.fid);
    const { bytesWritten } = await file.write(
      req.data,
      0,
      req.data.length,
      safePosition(req.offset),
    );
    return { kind: 'write', count: bytesWritten };
  }

  private async readdir(req: RequestOf<'readdir'>): Promise<NinePReply> {
    const f = this.fid(req.fid);
    if (f.dir === undefined)
      throw new NinePError(f.file === undefined ? Errno.EBADF : Errno.ENOTDIR);
    // Offset 0 (re)starts the listing; other offsets are cookies into the snapshot.
    if (req.offset === 0n || f.dir.entries === undefined)
      f.dir.entries = await this.listDir(f.parts);
    const entries = f.dir.entries;
    const limit = Math.min(req.count, this.iounit());
    const out: Dirent[] = [];
    let used = 0;
    const start = req.offset >= BigInt(entries.length) ? entries.length : Number(req.offset);
    for (const e of entries.slice(start)) {
      used += direntSize(e.name);
      if (used > limit) break;
      out.push(e);
    }
    return { kind: 'readdir', data: encodeDirents(out) };
  }

  /** ".", "..", then the entries, each with the cookie of the entry after it. */
  private async listDir(parts: readonly HostBytes[]): Promise<Dirent[]> {
    const dir = await this.at(parts);
    // encoding 'buffer': the names as they are on disk, UTF-8 or not.
    const listed = await fsp.readdir(dir, { encoding: 'buffer' });
    const names = [DOT, DOTDOT, ...listed.sort(Buffer.compare)];
    const out: Dirent[] = [];
    for (const name of names) {
      // ".." of the root is the root: never reveal the host's parent.
      const target = name.equals(DOTDOT)
        ? parts.slice(0, -1)
        : name.equals(DOT)
          ? parts
          : [...parts, name];
      let st: BigIntStats;
      try {
        st = await quick.lstatBig(await this.at(target));
      } catch {
        continue; // removed since readdir
      }
      out.push({
        qid: qidFromStats(st),
        offset: BigInt(out.length + 1),
        type: direntType(st),
        name,
      });
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Attributes

  private async getattr(req: RequestOf<'getattr'>): Promise<NinePReply> {
    const st = await quick.lstatBig(await this.at(this.fid(req.fid).parts));
    return {
      kind: 'getattr',
      valid: BigInt(GetattrMask.BASIC),
      qid: qidFromStats(st),
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      nlink: st.nlink,
      rdev: st.rdev,
      size: st.size,
      blksize: st.blksize,
      blocks: st.blocks,
      atimeSec: st.atimeNs / 1_000_000_000n,
      atimeNsec: st.atimeNs % 1_000_000_000n,
      mtimeSec: st.mtimeNs / 1_000_000_000n,
      mtimeNsec: st.mtimeNs % 1_000_000_000n,
      ctimeSec: st.ctimeNs / 1_000_000_000n,
      ctimeNsec: st.ctimeNs % 1_000_000_000n,
      btimeSec: 0n,
      btimeNsec: 0n,
      gen: 0n,
      dataVersion: 0n,
    };
  }

  private async setattr(req: RequestOf<'setattr'>): Promise<NinePReply> {
    this.checkWritable();
    const f = this.fid(req.fid);
    const p = await this.at(f.parts);
    const st = await quick.lstat(p);
    if (req.valid & SetattrMask.MODE) {
      // chmod follows symlinks, and Linux cannot chmod a symlink anyway.
      if (st.isSymbolicLink()) throw new NinePError(Errno.EOPNOTSUPP);
      await fsp.chmod(p, req.mode & 0o7777);
    }
    if (req.valid & (SetattrMask.UID | SetattrMask.GID)) await this.chown(p, req, st.uid, st.gid);
    if (req.valid & SetattrMask.SIZE) await this.truncate(f, p, st.isSymbolicLink(), req.size);
    if (req.valid & (SetattrMask.ATIME | SetattrMask.MTIME))
      await setTimes(p, req, st.atimeMs, st.mtimeMs);
    return { kind: 'setattr' };
  }

  /** Ownership changes are best effort: an unprivileged host server cannot give files away. */
  private async chown(
    p: HostBytes,
    req: RequestOf<'setattr'>,
    uid: number,
    gid: number,
  ): Promise<void> {
    const newUid = req.valid & SetattrMask.UID ? req.uid : uid;
    const newGid = req.valid & SetattrMask.GID ? req.gid : gid;
    await fsp.lchown(p, newUid, newGid).catch((err: unknown) => {
      if (errnoOf(err) !== Errno.EPERM) throw err;
    });
  }

  private async truncate(f: Fid, p: HostBytes, isLink: boolean, size: bigint): Promise<void> {
    const len = safePosition(size);
    if (f.file !== undefined) return f.file.truncate(len);
    if (isLink) throw new NinePError(Errno.EINVAL);
    const fh = await this.inside(await fsp.open(p, C.O_WRONLY | C.O_NOFOLLOW));
    try {
      await fh.truncate(len);
    } finally {
      await fh.close();
    }
  }

  // -------------------------------------------------------------------------
  // Directory entries

  private async mkdir(req: RequestOf<'mkdir'>): Promise<NinePReply> {
    this.checkWritable();
    const parts = await this.childPath(req.dfid, req.name);
    await fsp.mkdir(await this.at(parts), req.mode & 0o7777);
    return { kind: 'mkdir', qid: await this.qidOf(parts) };
  }

  private async symlink(req: RequestOf<'symlink'>): Promise<NinePReply> {
    this.checkWritable();
    const parts = await this.childPath(req.fid, req.name);
    // The target is stored as the guest's bytes and never followed by this
    // server. A NUL in it makes Node throw ERR_INVALID_ARG_VALUE: EINVAL.
    await fsp.symlink(bytes(req.target), await this.at(parts));
    return { kind: 'symlink', qid: await this.qidOf(parts) };
  }

  private async readlink(req: RequestOf<'readlink'>): Promise<NinePReply> {
    const target = await quick.readlink(await this.at(this.fid(req.fid).parts));
    return { kind: 'readlink', target };
  }

  private async link(req: RequestOf<'link'>): Promise<NinePReply> {
    this.checkWritable();
    const parts = await this.childPath(req.dfid, req.name);
    const source = await this.at(this.fid(req.fid).parts);
    // Linux's link(2) links a symlink itself, but macOS's follows it, which
    // would give the export a hard link to a file outside it.
    if (process.platform !== 'linux' && (await quick.lstat(source)).isSymbolicLink())
      throw new NinePError(Errno.EPERM);
    await fsp.link(source, await this.at(parts));
    return { kind: 'link' };
  }

  private async unlinkat(req: RequestOf<'unlinkat'>): Promise<NinePReply> {
    this.checkWritable();
    const p = await this.at(await this.childPath(req.dirfid, req.name));
    if (req.flags & AT_REMOVEDIR) await fsp.rmdir(p);
    else {
      // unlink(2) on a directory is EISDIR on Linux; make it so on any host.
      if ((await quick.lstat(p)).isDirectory()) throw new NinePError(Errno.EISDIR);
      await quick.unlink(p);
    }
    return { kind: 'unlinkat' };
  }

  private async renameat(req: RequestOf<'renameat'>): Promise<NinePReply> {
    this.checkWritable();
    const from = await this.childPath(req.olddirfid, req.oldname);
    const to = await this.childPath(req.newdirfid, req.newname);
    await this.move(from, to);
    return { kind: 'renameat' };
  }

  private async rename(req: RequestOf<'rename'>): Promise<NinePReply> {
    this.checkWritable();
    const from = this.fid(req.fid).parts;
    if (from.length === 0) throw new NinePError(Errno.EBUSY); // the export root
    await this.move([...from], await this.childPath(req.dfid, req.name));
    return { kind: 'rename' };
  }

  /** Renames on the host and re-points every fid at or below the old path. */
  private async move(from: HostBytes[], to: HostBytes[]): Promise<void> {
    await fsp.rename(await this.at(from), await this.at(to));
    for (const f of this.fids.values()) {
      if (f.parts.length >= from.length && from.every((c, i) => f.parts[i]?.equals(c)))
        f.parts = [...to, ...f.parts.slice(from.length)];
    }
  }

  private async remove(req: RequestOf<'remove'>): Promise<NinePReply> {
    const f = this.fid(req.fid);
    try {
      this.checkWritable();
      if (f.parts.length === 0) throw new NinePError(Errno.EBUSY);
      const p = await this.at(f.parts);
      if ((await quick.lstat(p)).isDirectory()) await fsp.rmdir(p);
      else await quick.unlink(p);
    } finally {
      // Tremove clunks the fid whether or not the removal worked.
      await this.dropFid(req.fid);
    }
    return { kind: 'remove' };
  }

  // -------------------------------------------------------------------------
  // Advisory locks (src/node/ninep/locks.ts). A read-only export allows them:
  // a lock changes nothing on the host, and v9fs sends flock(LOCK_EX) as a
  // write lock even on a file opened read-only.

  private async lock(req: RequestOf<'lock'>): Promise<NinePReply> {
    // flags (BLOCK, RECLAIM) need nothing: the table answers BLOCKED at once
    // and the client retries; there is no grace period to reclaim in.
    const status = this.locks.lock(await this.lockKey(req.fid), req);
    return { kind: 'lock', status };
  }

  private async getlock(req: RequestOf<'getlock'>): Promise<NinePReply> {
    const holder = this.locks.test(await this.lockKey(req.fid), req);
    if (holder !== null) return { kind: 'getlock', ...holder };
    // Nothing conflicts: the range is free, reported by echoing the query.
    const { start, length, procId, clientId } = req;
    return { kind: 'getlock', lockType: LockType.UNLCK, start, length, procId, clientId };
  }

  /** The host identity of a fid's file, which names it in the lock table. */
  private async lockKey(n: number): Promise<string> {
    const f = this.fid(n);
    // fstat when open: the file locked is the one the guest has open, even if
    // its name has since been renamed or replaced on the host.
    const st =
      f.file !== undefined
        ? await f.file.stat({ bigint: true })
        : await quick.lstatBig(await this.at(f.parts));
    return `${st.dev}:${st.ino}`;
  }

  // -------------------------------------------------------------------------
  // Whole-filesystem and sync

  private async statfs(req: RequestOf<'statfs'>): Promise<NinePReply> {
    // statfs() follows symlinks, so ask about the directory holding a
    // non-directory (same filesystem, and it cannot lead outside).
    const parts = this.fid(req.fid).parts;
    const isDir = (await quick.lstat(await this.at(parts))).isDirectory();
    const s = await fsp.statfs(await this.at(isDir ? parts : parts.slice(0, -1)), { bigint: true });
    return {
      kind: 'statfs',
      fsType: Number(BigInt.asUintN(32, s.type)),
      bsize: Number(BigInt.asUintN(32, s.bsize)),
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      fsid: 0n,
      namelen: NAME_MAX,
    };
  }

  private async fsync(req: RequestOf<'fsync'>): Promise<NinePReply> {
    const f = this.fid(req.fid);
    if (f.file !== undefined) await (req.datasync ? f.file.datasync() : f.file.sync());
    return { kind: 'fsync' };
  }
}

// ---------------------------------------------------------------------------
// Pure helpers

/** The host's path separator, as the byte that joins components. */
const SEP: HostBytes = Buffer.from(path.sep);
const DOT: HostBytes = Buffer.from('.');
const DOTDOT: HostBytes = Buffer.from('..');

// Bytes no component may contain: '/' and NUL. On Windows a backslash also
// separates and ':' starts a drive or stream, so neither may appear there.
const NOT_IN_NAME: readonly number[] =
  process.platform === 'win32' ? [0x2f, 0x5c, 0x3a, 0x00] : [0x2f, 0x00];

/** A name from the wire as a Buffer over the same bytes (the codec already copied them). */
function bytes(name: Uint8Array): HostBytes {
  return Buffer.from(name.buffer, name.byteOffset, name.length);
}

/** One non-empty path component with no separator or NUL. */
function isComponent(name: HostBytes): boolean {
  return name.length > 0 && !NOT_IN_NAME.some((b) => name.includes(b));
}

function isDotName(name: HostBytes): boolean {
  return name.equals(DOT) || name.equals(DOTDOT);
}

/** The non-empty components of a '/'-separated path, as bytes. */
function splitPath(p: HostBytes): HostBytes[] {
  const out: HostBytes[] = [];
  let start = 0;
  for (;;) {
    const end = p.indexOf(0x2f, start);
    const part = p.subarray(start, end === -1 ? p.length : end);
    if (part.length > 0) out.push(part);
    if (end === -1) return out;
    start = end + 1;
  }
}

function qidFromStats(st: BigIntStats): Qid {
  const type = st.isDirectory()
    ? QidType.DIR
    : st.isSymbolicLink()
      ? QidType.SYMLINK
      : QidType.FILE;
  // The version changes when the file does (mtime and size), and is never
  // 0: Linux's v9fs does no caching at all for a version-0 file and goes
  // straight to direct I/O, which pins user pages and so fails on wasm.
  const version = (Number(st.mtimeNs % 0xffffffffn) ^ Number(st.size & 0xffffffn)) >>> 0 || 1;
  return { type, version, path: st.ino };
}

function direntType(st: BigIntStats): number {
  if (st.isDirectory()) return DirentType.DIR;
  if (st.isFile()) return DirentType.REG;
  if (st.isSymbolicLink()) return DirentType.LNK;
  if (st.isCharacterDevice()) return DirentType.CHR;
  if (st.isBlockDevice()) return DirentType.BLK;
  if (st.isFIFO()) return DirentType.FIFO;
  if (st.isSocket()) return DirentType.SOCK;
  return DirentType.UNKNOWN;
}

function writesData(linuxFlags: number): boolean {
  return (linuxFlags & L.ACCMODE) !== 0 || (linuxFlags & L.TRUNC) !== 0;
}

/**
 * Translates the Linux open flags the guest sent into this host's values,
 * keeping only the ones that make sense for the server to apply (no
 * O_NOCTTY, O_ASYNC, O_DIRECT...; O_CREAT only via Tlcreate).
 */
function hostOpenFlags(linuxFlags: number): number {
  const acc = linuxFlags & L.ACCMODE;
  let flags = acc === L.WRONLY ? C.O_WRONLY : acc === L.RDWR ? C.O_RDWR : C.O_RDONLY;
  if (linuxFlags & L.EXCL) flags |= C.O_EXCL;
  if (linuxFlags & L.TRUNC) flags |= C.O_TRUNC;
  if (linuxFlags & L.APPEND) flags |= C.O_APPEND;
  return flags;
}

/** File offsets beyond 2^53 cannot be represented for node's fs calls. */
function safePosition(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NinePError(Errno.EFBIG);
  return Number(v);
}

async function setTimes(
  p: HostBytes,
  req: RequestOf<'setattr'>,
  atimeMs: number,
  mtimeMs: number,
): Promise<void> {
  const now = Date.now() / 1000;
  const pick = (
    bit: number,
    setBit: number,
    sec: bigint,
    nsec: bigint,
    currentMs: number,
  ): number => {
    if (!(req.valid & bit)) return currentMs / 1000;
    if (req.valid & setBit) return Number(sec) + Number(nsec) / 1e9;
    return now;
  };
  const atime = pick(
    SetattrMask.ATIME,
    SetattrMask.ATIME_SET,
    req.atimeSec,
    req.atimeNsec,
    atimeMs,
  );
  const mtime = pick(
    SetattrMask.MTIME,
    SetattrMask.MTIME_SET,
    req.mtimeSec,
    req.mtimeNsec,
    mtimeMs,
  );
  // lutimes: times of a symlink itself, never of what it points to.
  await fsp.lutimes(p, atime, mtime);
}
