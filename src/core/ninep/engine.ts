// A 9P2000.L file server over any storage (backend.ts): one T-message in,
// one R-message out. This is the protocol half — the session, the fid
// table, walk, open flags, readdir cookies, re-pointing fids on rename,
// flush, iounit, locks and the errno replies — and it is the same for a
// host directory in Node, a tree in memory and the browser's
// origin-private file system.
//
// A fid names a file by its path: checked single components below the
// export root, never a path string from the wire, so no component holds a
// '/', a NUL, '.' or '..'. Walk never goes through a symlink (a symlink it
// reaches is a leaf, reported with its own qid, as Linux's v9fs expects),
// so a backend that keeps to its root keeps the guest inside it too.
//
// Every call is synchronous, like the backend's, so the engine can run
// where nothing may wait (next to the kernel); handle() never throws.

import { Errno } from '../errno.js';
import {
  bytesCompare,
  bytesEqual,
  errnoOf,
  fail,
  isDir,
  isRegular,
  isSymlink,
  NeedsAsync,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  type NineFile,
  type NinePBackend,
  type NineStat,
  type OpenMode,
} from './backend.js';
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
  encodeReplyView,
  type Dirent,
  type NinePReply,
  type NinePRequest,
  type Qid,
  type RequestOf,
} from './codec.js';
import {
  DEFAULT_MAX_LOCK_RECORDS,
  processLocks,
  type LockSession,
  type LockTable,
} from './locks.js';

export interface NinePEngineOptions {
  readonly backend: NinePBackend;
  /** Refuse every change with EROFS (locks are still allowed). */
  readonly readOnly: boolean;
  /** Largest msize the server agrees to (default 1 MiB). */
  readonly maxMsize?: number;
  /** Byte-range lock records this server's client may hold (default 10 000). */
  readonly maxLocks?: number;
  /** The lock table to join (default: the one every engine of this runtime shares). */
  readonly locks?: LockTable;
}

const DEFAULT_MSIZE = 1024 * 1024;
/** Smallest msize accepted: room for a header plus a useful payload. */
const MIN_MSIZE = 512;
/** Rread/Rreaddir overhead: header + count[4]. */
const IO_OVERHEAD = HEADER_SIZE + 4;
const NAME_MAX = 255;
const NS_PER_S = 1_000_000_000n;

type Path = Uint8Array[];

interface OpenDir {
  /** Entries snapshotted when reading starts at offset 0; cookies index into it. */
  entries?: Dirent[];
}

interface Fid {
  path: Path;
  /**
   * The file's QidType when the fid was made: whether it can be walked from
   * or hold new entries is known without asking storage again. (If the tree
   * has changed since, the storage refuses: a path only goes through real
   * directories.)
   */
  type: number;
  file?: NineFile;
  dir?: OpenDir;
}

/** Linux open(2) flag bits, as sent in Tlopen/Tlcreate. */
const L = {
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  DIRECTORY: 0o200000,
} as const;

const DOT = 0x2e;

export class NinePEngine {
  private readonly backend: NinePBackend;
  private readonly readOnly: boolean;
  private readonly maxMsize: number;
  private msize: number;
  private readonly fids = new Map<number, Fid>();
  /** This connection's locks, in the table shared with every other engine. */
  private readonly locks: LockSession;

  constructor(options: NinePEngineOptions) {
    this.backend = options.backend;
    this.readOnly = options.readOnly;
    this.maxMsize = Math.max(MIN_MSIZE, options.maxMsize ?? DEFAULT_MSIZE);
    this.msize = this.maxMsize;
    this.locks = (options.locks ?? processLocks).session(
      options.maxLocks ?? DEFAULT_MAX_LOCK_RECORDS,
    );
  }

  /**
   * Handles one whole T-message. Returns the R-message, or null when the frame
   * is too broken to carry a tag to answer (the caller should then drop the
   * connection, since stream framing can no longer be trusted). Throws only
   * the storage's NeedsAsync, before anything has changed.
   */
  handle(message: Uint8Array): Uint8Array | null {
    return this.handleView(message)?.slice() ?? null;
  }

  /**
   * handle() without the copy of the reply, for a caller that copies it
   * elsewhere at once (the 9P server thread, into kernel memory): the reply
   * is valid only until the next message is encoded.
   */
  handleView(message: Uint8Array): Uint8Array | null {
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
      return this.reply(tag, this.dispatch(req));
    } catch (err) {
      if (err instanceof NeedsAsync) throw err;
      return this.reply(tag, { kind: 'lerror', ecode: errnoOf(err) });
    }
  }

  /** Closes every open file and drops every lock (on disconnect). */
  close(): void {
    // A client that is gone can never unlock, so its locks must not outlive it.
    this.locks.releaseAll();
    for (const fid of [...this.fids.keys()]) this.dropFid(fid);
  }

  private reply(tag: number, r: NinePReply): Uint8Array {
    try {
      return encodeReplyView(tag, r);
    } catch {
      // Only a bug (e.g. a string too long for 9P) gets here; answer rather
      // than throw, since handle() promises never to.
      return encodeReplyView(tag, { kind: 'lerror', ecode: Errno.EIO });
    }
  }

  private dispatch(req: NinePRequest): NinePReply {
    switch (req.kind) {
      case 'version':
        return this.version(req);
      case 'auth':
        // No authentication: Linux mounts without Tauth unless asked to.
        return fail(Errno.EOPNOTSUPP);
      case 'attach':
        return this.attach(req);
      case 'flush':
        // Every request is answered before the next is read, so there is
        // never one to cancel: a flush only acknowledges.
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
        return { kind: 'readlink', target: this.backend.readlink(this.fid(req.fid).path) };
      case 'link':
        return this.link(req);
      case 'statfs':
        return this.statfs(req);
      case 'fsync':
        this.fid(req.fid).file?.sync(req.datasync !== 0);
        return { kind: 'fsync' };
      case 'lock':
        return this.lock(req);
      case 'getlock':
        return this.getlock(req);
      case 'clunk':
        this.fid(req.fid);
        this.dropFid(req.fid);
        return { kind: 'clunk' };
      case 'remove':
        return this.remove(req);
      case 'mknod':
        this.checkWritable();
        return fail(Errno.EPERM);
      case 'xattrwalk':
      case 'xattrcreate':
        // No extended attributes: v9fs treats EOPNOTSUPP as "none".
        return fail(Errno.EOPNOTSUPP);
    }
  }

  // -------------------------------------------------------------------------
  // Helpers

  private fid(n: number): Fid {
    return this.fids.get(n) ?? fail(Errno.EBADF);
  }

  private checkWritable(): void {
    if (this.readOnly) fail(Errno.EROFS);
    this.backend.writable?.();
  }

  /** dir/name for a name that creates or removes an entry: one real component. */
  private childPath(dirFid: number, name: Uint8Array): Path {
    if (isDotName(name) || !isComponent(name)) fail(Errno.EINVAL);
    if (name.length > NAME_MAX) fail(Errno.ENAMETOOLONG);
    const dir = this.fid(dirFid);
    if (dir.type !== QidType.DIR) fail(Errno.ENOTDIR);
    return [...dir.path, name];
  }

  private qidOf(path: readonly Uint8Array[]): Qid {
    return qidFromStat(this.backend.lstat(path));
  }

  private dropFid(n: number): void {
    const f = this.fids.get(n);
    this.fids.delete(n);
    try {
      f?.file?.close();
    } catch {
      // Nothing to tell a client that has let go of the fid.
    }
  }

  private iounit(): number {
    return this.msize - IO_OVERHEAD;
  }

  // -------------------------------------------------------------------------
  // Session

  private version(req: RequestOf<'version'>): NinePReply {
    // Tversion starts a new session: every fid of the old one is gone.
    this.locks.releaseAll();
    for (const fid of [...this.fids.keys()]) this.dropFid(fid);
    const msize = Math.min(req.msize, this.maxMsize);
    if (!req.version.startsWith('9P2000.L') || msize < MIN_MSIZE)
      return { kind: 'version', msize, version: 'unknown' };
    this.msize = msize;
    return { kind: 'version', msize, version: '9P2000.L' };
  }

  private attach(req: RequestOf<'attach'>): NinePReply {
    if (this.fids.has(req.fid)) fail(Errno.EBADF);
    // The aname (mount -o aname=sub/dir) picks a directory of the export to
    // mount, walked like any path: a start, not a new boundary (the export
    // root stays that). '' is the export root.
    const path: Path = [];
    let qid = this.qidOf(path);
    for (const name of splitPath(req.aname)) qid = this.step(path, name, qid.type);
    if (qid.type !== QidType.DIR) fail(Errno.ENOTDIR);
    this.fids.set(req.fid, { path, type: qid.type });
    return { kind: 'attach', qid };
  }

  // -------------------------------------------------------------------------
  // Walk

  private walk(req: RequestOf<'walk'>): NinePReply {
    const from = this.fid(req.fid);
    if (req.names.length > MAX_WALK_NAMES) fail(Errno.EINVAL);
    if (req.newfid !== req.fid && this.fids.has(req.newfid)) fail(Errno.EBADF);
    const path = [...from.path];
    const qids: Qid[] = [];
    let type = from.type;
    for (const name of req.names) {
      try {
        const qid = this.step(path, name, type);
        qids.push(qid);
        type = qid.type;
      } catch (err) {
        // Per 9P: failing on the first name is an error; later, a short Rwalk.
        if (qids.length === 0) throw err;
        return { kind: 'walk', qids };
      }
    }
    if (req.newfid === req.fid) this.dropFid(req.fid);
    this.fids.set(req.newfid, { path, type });
    return { kind: 'walk', qids };
  }

  /** Moves `path` (a file of QidType type) one component along `name` without following symlinks. */
  private step(path: Path, name: Uint8Array, type: number): Qid {
    if (!isComponent(name)) fail(Errno.EINVAL);
    // Only directories can be walked out of; a symlink reached by walk is a
    // leaf, which is what keeps walk from escaping the export.
    if (type !== QidType.DIR) fail(Errno.ENOTDIR);
    if (isDotDot(name))
      path.pop(); // at the root, pop() leaves [] (root's parent is root)
    else if (!isDot(name)) {
      if (name.length > NAME_MAX) fail(Errno.ENAMETOOLONG);
      path.push(name);
    }
    return this.qidOf(path);
  }

  // -------------------------------------------------------------------------
  // Open, create, I/O

  private lopen(req: RequestOf<'lopen'>): NinePReply {
    const f = this.fid(req.fid);
    if (f.file !== undefined || f.dir !== undefined) fail(Errno.EBADF);
    const mode = openMode(req.flags);
    if ((req.flags & L.ACCMODE) !== 0 || mode.truncate) this.checkWritable();
    const st = this.backend.lstat(f.path);
    if (isSymlink(st)) fail(Errno.ELOOP);
    if (isDir(st)) {
      if ((req.flags & L.ACCMODE) !== 0) fail(Errno.EISDIR);
      f.dir = {};
    } else {
      if ((req.flags & L.DIRECTORY) !== 0) fail(Errno.ENOTDIR);
      // A device node or FIFO in the export would act on the host itself (and
      // opening a FIFO would block until a writer appears).
      if (!isRegular(st)) fail(Errno.EOPNOTSUPP);
      f.file = this.backend.open(f.path, mode);
    }
    return { kind: 'lopen', qid: qidFromStat(st), iounit: this.iounit() };
  }

  private lcreate(req: RequestOf<'lcreate'>): NinePReply {
    this.checkWritable();
    const f = this.fid(req.fid);
    if (f.file !== undefined || f.dir !== undefined) fail(Errno.EBADF);
    const path = this.childPath(req.fid, req.name);
    const exclusive = (req.flags & L.EXCL) !== 0;
    const file = this.backend.create(path, openMode(req.flags), req.mode & 0o7777, exclusive);
    // The fid now stands for the new, open file (as the protocol says).
    f.path = path;
    f.type = QidType.FILE;
    f.file = file;
    return { kind: 'lcreate', qid: qidFromStat(file.stat()), iounit: this.iounit() };
  }

  private openFile(n: number): NineFile {
    const f = this.fid(n);
    if (f.dir !== undefined) fail(Errno.EISDIR);
    return f.file ?? fail(Errno.EBADF);
  }

  private read(req: RequestOf<'read'>): NinePReply {
    const file = this.openFile(req.fid);
    const buf = new Uint8Array(Math.min(req.count, this.iounit()));
    const n = file.read(buf, safePosition(req.offset));
    return { kind: 'read', data: buf.subarray(0, n) };
  }

  private write(req: RequestOf<'write'>): NinePReply {
    this.checkWritable();
    const file = this.openFile(req.fid);
    return { kind: 'write', count: file.write(req.data, safePosition(req.offset)) };
  }

  private readdir(req: RequestOf<'readdir'>): NinePReply {
    const f = this.fid(req.fid);
    if (f.dir === undefined) fail(f.file === undefined ? Errno.EBADF : Errno.ENOTDIR);
    // Offset 0 (re)starts the listing; other offsets are cookies into the snapshot.
    if (req.offset === 0n || f.dir.entries === undefined) f.dir.entries = this.listDir(f.path);
    const entries = f.dir.entries;
    const limit = Math.min(req.count, this.iounit());
    const out: Dirent[] = [];
    let used = 0;
    const start = req.offset >= BigInt(entries.length) ? entries.length : Number(req.offset);
    for (let i = start; i < entries.length; i++) {
      const e = entries[i] as Dirent;
      used += direntSize(e.name);
      if (used > limit) break;
      out.push(e);
    }
    return { kind: 'readdir', data: encodeDirents(out) };
  }

  /** ".", "..", then the entries by name, each with the cookie of the entry after it. */
  private listDir(path: Path): Dirent[] {
    const listed = this.backend.list(path).sort((a, b) => bytesCompare(a.name, b.name));
    // ".." of the root is the root: never reveal what is above the export.
    const parent = path.length > 0 ? path.slice(0, -1) : path;
    const all = [
      { name: DOT_NAME, stat: this.backend.lstat(path) },
      { name: DOTDOT_NAME, stat: this.backend.lstat(parent) },
      ...listed,
    ];
    return all.map(({ name, stat }, i) => ({
      qid: qidFromStat(stat),
      offset: BigInt(i + 1),
      type: direntType(stat),
      name,
    }));
  }

  // -------------------------------------------------------------------------
  // Attributes

  private getattr(req: RequestOf<'getattr'>): NinePReply {
    const st = this.backend.lstat(this.fid(req.fid).path);
    return {
      kind: 'getattr',
      valid: BigInt(GetattrMask.BASIC),
      qid: qidFromStat(st),
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      nlink: st.nlink,
      rdev: st.rdev,
      size: st.size,
      blksize: st.blksize,
      blocks: st.blocks,
      atimeSec: st.atimeNs / NS_PER_S,
      atimeNsec: st.atimeNs % NS_PER_S,
      mtimeSec: st.mtimeNs / NS_PER_S,
      mtimeNsec: st.mtimeNs % NS_PER_S,
      ctimeSec: st.ctimeNs / NS_PER_S,
      ctimeNsec: st.ctimeNs % NS_PER_S,
      btimeSec: 0n,
      btimeNsec: 0n,
      gen: 0n,
      dataVersion: 0n,
    };
  }

  private setattr(req: RequestOf<'setattr'>): NinePReply {
    this.checkWritable();
    const f = this.fid(req.fid);
    const st = this.backend.lstat(f.path);
    // The size first: it is what can fail (or need the event loop) before
    // anything else has changed.
    if (req.valid & SetattrMask.SIZE) {
      const size = safePosition(req.size);
      if (f.file !== undefined) f.file.truncate(size);
      else if (isSymlink(st)) fail(Errno.EINVAL);
      else this.backend.truncate(f.path, size);
    }
    if (req.valid & SetattrMask.MODE) {
      // Linux cannot chmod a symlink (and a host's chmod would follow it).
      if (isSymlink(st)) fail(Errno.EOPNOTSUPP);
      this.backend.chmod(f.path, req.mode & 0o7777);
    }
    if (req.valid & (SetattrMask.UID | SetattrMask.GID)) {
      const uid = req.valid & SetattrMask.UID ? req.uid : st.uid;
      const gid = req.valid & SetattrMask.GID ? req.gid : st.gid;
      // Best effort: an unprivileged host server cannot give files away.
      try {
        this.backend.chown(f.path, uid, gid);
      } catch (err) {
        if (errnoOf(err) !== Errno.EPERM) throw err;
      }
    }
    if (req.valid & (SetattrMask.ATIME | SetattrMask.MTIME)) {
      const now = BigInt(Date.now()) * 1_000_000n;
      const pick = (bit: number, setBit: number, sec: bigint, nsec: bigint, cur: bigint) =>
        !(req.valid & bit) ? cur : req.valid & setBit ? sec * NS_PER_S + nsec : now;
      const atime = pick(
        SetattrMask.ATIME,
        SetattrMask.ATIME_SET,
        req.atimeSec,
        req.atimeNsec,
        st.atimeNs,
      );
      const mtime = pick(
        SetattrMask.MTIME,
        SetattrMask.MTIME_SET,
        req.mtimeSec,
        req.mtimeNsec,
        st.mtimeNs,
      );
      this.backend.utimes(f.path, atime, mtime);
    }
    return { kind: 'setattr' };
  }

  // -------------------------------------------------------------------------
  // Directory entries

  private mkdir(req: RequestOf<'mkdir'>): NinePReply {
    this.checkWritable();
    const path = this.childPath(req.dfid, req.name);
    this.backend.mkdir(path, req.mode & 0o7777);
    return { kind: 'mkdir', qid: this.qidOf(path) };
  }

  private symlink(req: RequestOf<'symlink'>): NinePReply {
    this.checkWritable();
    const path = this.childPath(req.fid, req.name);
    if (req.target.includes(0)) fail(Errno.EINVAL);
    this.backend.symlink(path, req.target);
    return { kind: 'symlink', qid: this.qidOf(path) };
  }

  private link(req: RequestOf<'link'>): NinePReply {
    this.checkWritable();
    const path = this.childPath(req.dfid, req.name);
    const existing = this.fid(req.fid).path;
    if (existing.length === 0) fail(Errno.EPERM); // the export root is a directory
    this.backend.link(existing, path);
    return { kind: 'link' };
  }

  private unlinkat(req: RequestOf<'unlinkat'>): NinePReply {
    this.checkWritable();
    const path = this.childPath(req.dirfid, req.name);
    if (req.flags & AT_REMOVEDIR) this.backend.rmdir(path);
    else this.backend.unlink(path);
    return { kind: 'unlinkat' };
  }

  private renameat(req: RequestOf<'renameat'>): NinePReply {
    this.checkWritable();
    const from = this.childPath(req.olddirfid, req.oldname);
    const to = this.childPath(req.newdirfid, req.newname);
    this.move(from, to);
    return { kind: 'renameat' };
  }

  private rename(req: RequestOf<'rename'>): NinePReply {
    this.checkWritable();
    const from = this.fid(req.fid).path;
    if (from.length === 0) fail(Errno.EBUSY); // the export root
    this.move([...from], this.childPath(req.dfid, req.name));
    return { kind: 'rename' };
  }

  /** Renames in storage and re-points every fid at or below the old path. */
  private move(from: Path, to: Path): void {
    this.backend.rename(from, to);
    for (const f of this.fids.values()) {
      if (
        f.path.length >= from.length &&
        from.every((c, i) => bytesEqual(f.path[i] as Uint8Array, c))
      )
        f.path = [...to, ...f.path.slice(from.length)];
    }
  }

  private remove(req: RequestOf<'remove'>): NinePReply {
    const f = this.fid(req.fid);
    try {
      this.checkWritable();
      if (f.path.length === 0) fail(Errno.EBUSY);
      if (isDir(this.backend.lstat(f.path))) this.backend.rmdir(f.path);
      else this.backend.unlink(f.path);
    } finally {
      // Tremove clunks the fid whether or not the removal worked.
      this.dropFid(req.fid);
    }
    return { kind: 'remove' };
  }

  // -------------------------------------------------------------------------
  // Advisory locks (locks.ts). A read-only export allows them: a lock
  // changes nothing in storage, and v9fs sends flock(LOCK_EX) as a write
  // lock even on a file opened read-only.

  private lock(req: RequestOf<'lock'>): NinePReply {
    // flags (BLOCK, RECLAIM) need nothing: the table answers BLOCKED at once
    // and the client retries; there is no grace period to reclaim in.
    return { kind: 'lock', status: this.locks.lock(this.lockKey(req.fid), req) };
  }

  private getlock(req: RequestOf<'getlock'>): NinePReply {
    const holder = this.locks.test(this.lockKey(req.fid), req);
    if (holder !== null) return { kind: 'getlock', ...holder };
    // Nothing conflicts: the range is free, reported by echoing the query.
    const { start, length, procId, clientId } = req;
    return { kind: 'getlock', lockType: LockType.UNLCK, start, length, procId, clientId };
  }

  /** The storage identity of a fid's file, which names it in the lock table. */
  private lockKey(n: number): string {
    const f = this.fid(n);
    // The open file's own attributes: the file locked is the one the guest
    // has open, even if its name has since been renamed or replaced.
    const st = f.file !== undefined ? f.file.stat() : this.backend.lstat(f.path);
    return `${st.dev}:${st.ino}`;
  }

  // -------------------------------------------------------------------------
  // Whole filesystem

  private statfs(req: RequestOf<'statfs'>): NinePReply {
    const s = this.backend.statfs(this.fid(req.fid).path);
    return { kind: 'statfs', ...s, fsid: 0n, namelen: NAME_MAX };
  }
}

// ---------------------------------------------------------------------------
// Pure helpers

const DOT_NAME = new Uint8Array([DOT]);
const DOTDOT_NAME = new Uint8Array([DOT, DOT]);

const isDot = (name: Uint8Array): boolean => name.length === 1 && name[0] === DOT;
const isDotDot = (name: Uint8Array): boolean =>
  name.length === 2 && name[0] === DOT && name[1] === DOT;
const isDotName = (name: Uint8Array): boolean => isDot(name) || isDotDot(name);

/** One non-empty path component with no '/' or NUL. */
function isComponent(name: Uint8Array): boolean {
  return name.length > 0 && !name.includes(0x2f) && !name.includes(0);
}

/** The non-empty components of a '/'-separated path, as bytes. */
function splitPath(p: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = p.indexOf(0x2f, start);
    const part = p.subarray(start, end === -1 ? p.length : end);
    if (part.length > 0) out.push(part);
    if (end === -1) return out;
    start = end + 1;
  }
}

function qidFromStat(st: NineStat): Qid {
  const type = isDir(st) ? QidType.DIR : isSymlink(st) ? QidType.SYMLINK : QidType.FILE;
  // The version changes when the file does (mtime and size), and is never
  // 0: Linux's v9fs does no caching at all for a version-0 file and goes
  // straight to direct I/O, which pins user pages and so fails on wasm.
  const version = (Number(st.mtimeNs % 0xffffffffn) ^ Number(st.size & 0xffffffn)) >>> 0 || 1;
  return { type, version, path: st.ino };
}

const DIRENT_TYPES: ReadonlyMap<number, number> = new Map([
  [S_IFDIR, DirentType.DIR],
  [S_IFREG, DirentType.REG],
  [S_IFLNK, DirentType.LNK],
  [S_IFCHR, DirentType.CHR],
  [S_IFBLK, DirentType.BLK],
  [S_IFIFO, DirentType.FIFO],
  [S_IFSOCK, DirentType.SOCK],
]);

function direntType(st: NineStat): number {
  return DIRENT_TYPES.get(st.mode & S_IFMT) ?? DirentType.UNKNOWN;
}

/**
 * The open flags the guest sent, reduced to what storage applies: access
 * mode, O_TRUNC and O_APPEND (no O_NOCTTY, O_ASYNC, O_DIRECT...; O_CREAT
 * and O_EXCL only through Tlcreate).
 */
function openMode(linuxFlags: number): OpenMode {
  const acc = linuxFlags & L.ACCMODE;
  return {
    access: acc === 1 ? 1 : acc === 2 ? 2 : 0,
    truncate: (linuxFlags & L.TRUNC) !== 0,
    append: (linuxFlags & L.APPEND) !== 0,
  };
}

/** File offsets beyond 2^53 cannot be represented in storage calls. */
function safePosition(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(Errno.EFBIG);
  return Number(v);
}
