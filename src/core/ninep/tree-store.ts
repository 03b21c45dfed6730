// 9P storage whose directory tree lives in this runtime's memory: inodes
// with modes, owners, times, link counts, symlink targets and directory
// entries, with file contents kept by a BlobStore (memory-backend.ts keeps
// them in memory; the browser's persistent home keeps them in the
// origin-private file system). Everything the guest can do to a Linux
// directory tree can be stored, whatever the storage under it supports:
// symlinks, hard links, any name bytes, modes and times.
//
// Nothing outside the tree is reachable: a path is resolved from the root
// by name, so confinement is by construction. Times follow Linux's rules
// for the calls made (mtime and ctime on changes, ctime on attribute and
// link changes); atime is left as it was set (like a noatime mount), so a
// read changes nothing in the tree.

import { Errno } from '../errno.js';
import {
  fail,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type NineFile,
  type NineListed,
  type NinePBackend,
  type NineStat,
  type NineStatfs,
  type OpenMode,
} from './backend.js';

/** Where a tree's file contents live: numbered blobs of bytes. */
export interface BlobStore {
  /** A new, empty blob (ENOSPC when there is no room for one). */
  create(): number;
  /** Reads buf.length bytes at pos (the caller keeps within the blob's size). */
  read(blob: number, buf: Uint8Array, pos: number): void;
  /** Writes data at pos, growing the blob (ENOSPC when it cannot). */
  write(blob: number, data: Uint8Array, pos: number): void;
  /** Sets the blob's size; growing fills with zeros. */
  truncate(blob: number, size: number): void;
  remove(blob: number): void;
  /** Makes the blob durable, where the store can (fsync). */
  sync(blob: number): void;
  /**
   * A file on the blob is opened: read, write and truncate follow until the
   * matching close(). A blob from create() comes opened once. (A store that
   * keeps a handle per open blob opens it here; it may throw NeedsAsync.)
   */
  open?(blob: number): void;
  close?(blob: number): void;
  /** Total and free bytes, for statfs. */
  space(): { total: number; free: number };
}

interface Inode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** A directory's entries: name (as latin1 text, one char per byte) → inode. */
  entries?: Map<string, Inode>;
  /** A symlink's target. */
  target?: Uint8Array;
  /** A regular file's contents. */
  blob?: number;
  /** Open files on it: an unlinked file keeps its contents until the last close. */
  opens: number;
}

export interface TreeStoreOptions {
  readonly blobs: BlobStore;
  /** statfs's f_type (default TMPFS_MAGIC). */
  readonly fsType?: number;
  /**
   * Told what each operation changed, once it is done, for a store that
   * keeps the tree (tree-journal.ts); the changes replay as `history`.
   */
  readonly journal?: (changes: TreeChanges) => void;
  /** The journal's NinePBackend.writable(): whether it can keep a change now. */
  readonly writable?: () => void;
}

/** An inode as a journal keeps it: times in ns as decimal text. */
export interface InodeRecord {
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly size: number;
  readonly atime: string;
  readonly mtime: string;
  readonly ctime: string;
  /** A symlink's target, one char per byte. */
  readonly target?: string;
  readonly blob?: number;
}

/**
 * What one operation changed: inodes as they are now, entries set or
 * removed, inodes freed. A whole tree is one of these too (snapshot()).
 */
export interface TreeChanges {
  readonly inodes: InodeRecord[];
  /** [directory ino, name (one char per byte), ino, or 0 for an entry removed]. */
  readonly entries: [number, string, number][];
  readonly freed: number[];
}

const TMPFS_MAGIC = 0x01021994;
const ROOT_INO = 2;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o010;
const BLOCK = 4096;
let nextDev = 1;

/** The bytes of a name as a Map key, and back: one char per byte, so any bytes are a key. */
const keyOf = (name: Uint8Array): string => String.fromCharCode(...name);
const nameOfKey = (key: string): Uint8Array => Uint8Array.from(key, (c) => c.charCodeAt(0));

/** Whether path lies strictly below ancestor. */
const isBelow = (path: Path, ancestor: Path): boolean =>
  path.length > ancestor.length && ancestor.every((c, i) => keyOf(c) === keyOf(path[i]!));

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

type Path = readonly Uint8Array[];

export class TreeStore implements NinePBackend {
  private readonly blobs: BlobStore;
  private readonly fsType: number;
  /** Names this store in lock keys, apart from every other store of the runtime. */
  private readonly dev = BigInt(nextDev++);
  private nextIno = ROOT_INO;
  private inodes = 0;
  private readonly root: Inode;
  private readonly journal: ((changes: TreeChanges) => void) | null;
  /** What the operation under way has changed so far (with a journal only). */
  private changed: {
    inodes: Set<Inode>;
    entries: [number, string, number][];
    freed: number[];
  } | null = null;

  private readonly canChange: (() => void) | null;

  /** history: the changes a journal kept, oldest first, to start from (none: an empty tree). */
  constructor(options: TreeStoreOptions, history: readonly TreeChanges[] = []) {
    this.blobs = options.blobs;
    this.fsType = options.fsType ?? TMPFS_MAGIC;
    this.journal = options.journal ?? null;
    this.canChange = options.writable ?? null;
    if (history.length > 0) {
      const tree = replay(history, this.blobs);
      this.root = tree.root;
      this.inodes = tree.count;
      this.nextIno = tree.maxIno + 1;
      return;
    }
    this.root = this.newInode(S_IFDIR | 0o755, 0, 0);
    this.root.entries = new Map();
    this.root.nlink = 2;
    this.commit();
  }

  /** The blobs the tree's files use (a store starting up frees the others). */
  blobsInUse(): Set<number> {
    const used = new Set<number>();
    const dirs: Inode[] = [this.root];
    for (let dir; (dir = dirs.pop()) !== undefined;) {
      for (const n of dir.entries!.values()) {
        if (n.blob !== undefined) used.add(n.blob);
        if (n.entries) dirs.push(n);
      }
    }
    return used;
  }

  /** The whole tree as one set of changes: what a compacted journal starts with. */
  snapshot(): TreeChanges {
    const inodes: InodeRecord[] = [];
    const entries: [number, string, number][] = [];
    const seen = new Set<number>();
    const visit = (n: Inode): void => {
      if (seen.has(n.ino)) return; // a second hard link: written once
      seen.add(n.ino);
      inodes.push(recordOf(n));
      if (n.entries)
        for (const [key, child] of n.entries) {
          entries.push([n.ino, key, child.ino]);
          visit(child);
        }
    };
    visit(this.root);
    return { inodes, entries, freed: [] };
  }

  writable(): void {
    this.canChange?.();
  }

  lstat(p: Path): NineStat {
    return this.statOf(this.resolve(p));
  }

  list(p: Path): NineListed[] {
    const dir = this.dir(this.resolve(p));
    return [...dir.entries.entries()].map(([key, node]) => ({
      name: nameOfKey(key),
      stat: this.statOf(node),
    }));
  }

  open(p: Path, mode: OpenMode): NineFile {
    try {
      const node = this.resolve(p);
      if ((node.mode & S_IFMT) === S_IFLNK) fail(Errno.ELOOP);
      if ((node.mode & S_IFMT) !== S_IFREG) fail(Errno.EISDIR);
      this.blobs.open?.(node.blob!);
      const file = new TreeFile(this, node, mode.append);
      try {
        if (mode.truncate && mode.access !== 0) this.setSize(node, 0);
      } catch (err) {
        file.close();
        throw err;
      }
      return file;
    } finally {
      this.commit();
    }
  }

  create(p: Path, mode: OpenMode, perm: number, exclusive: boolean): NineFile {
    try {
      const { dir, key } = this.parentOf(p);
      const existing = dir.entries.get(key);
      if (existing !== undefined) {
        if (exclusive) fail(Errno.EEXIST);
        return this.open(p, mode);
      }
      const blob = this.blobs.create();
      const node = this.newInode(S_IFREG | perm, 0, 0);
      node.blob = blob;
      this.addEntry(dir, key, node);
      return new TreeFile(this, node, mode.append);
    } finally {
      this.commit();
    }
  }

  mkdir(p: Path, perm: number): void {
    try {
      const { dir, key } = this.parentOf(p);
      if (dir.entries.has(key)) fail(Errno.EEXIST);
      const node = this.newInode(S_IFDIR | perm, 0, 0);
      node.entries = new Map();
      node.nlink = 2;
      this.addEntry(dir, key, node);
      this.dirty(dir).nlink++;
    } finally {
      this.commit();
    }
  }

  symlink(p: Path, target: Uint8Array): void {
    try {
      // An empty target is refused before anything is looked up (Linux's order).
      if (target.length === 0) fail(Errno.ENOENT);
      const { dir, key } = this.parentOf(p);
      if (dir.entries.has(key)) fail(Errno.EEXIST);
      const node = this.newInode(S_IFLNK | 0o777, 0, 0);
      node.target = target.slice();
      node.size = target.length;
      this.addEntry(dir, key, node);
    } finally {
      this.commit();
    }
  }

  readlink(p: Path): Uint8Array {
    return this.resolve(p).target?.slice() ?? fail(Errno.EINVAL);
  }

  link(existing: Path, p: Path): void {
    try {
      // The order of Linux's linkat (the file, then the new name's directory,
      // then whether the name is free, then whether a directory is linked),
      // after the Node backend's checks of both parents.
      this.resolveParent(existing);
      const parent = this.resolveParent(p);
      const node = this.resolve(existing);
      const dir = this.dir(parent);
      const key = keyOf(p[p.length - 1]!);
      if (dir.entries.has(key)) fail(Errno.EEXIST);
      if ((node.mode & S_IFMT) === S_IFDIR) fail(Errno.EPERM);
      node.nlink++;
      this.dirty(node).ctimeNs = nowNs();
      this.addEntry(dir, key, node);
    } finally {
      this.commit();
    }
  }

  unlink(p: Path): void {
    try {
      const { dir, key } = this.parentOf(p);
      const node = dir.entries.get(key) ?? fail(Errno.ENOENT);
      if ((node.mode & S_IFMT) === S_IFDIR) fail(Errno.EISDIR);
      this.removeEntry(dir, key, node);
    } finally {
      this.commit();
    }
  }

  rmdir(p: Path): void {
    try {
      if (p.length === 0) fail(Errno.EBUSY);
      const { dir, key } = this.parentOf(p);
      const node = dir.entries.get(key) ?? fail(Errno.ENOENT);
      if (this.dir(node).entries.size > 0) fail(Errno.ENOTEMPTY);
      this.removeEntry(dir, key, node);
      this.dirty(dir).nlink--;
    } finally {
      this.commit();
    }
  }

  rename(from: Path, to: Path): void {
    try {
      // Both parents are looked up before either name (Linux's order, and the
      // Node backend's, whose parent checks come before the call).
      const srcParent = this.resolveParent(from);
      const dstParent = this.resolveParent(to);
      const src = { dir: this.dir(srcParent), key: keyOf(from[from.length - 1]!) };
      const dst = { dir: this.dir(dstParent), key: keyOf(to[to.length - 1]!) };
      const node = src.dir.entries.get(src.key) ?? fail(Errno.ENOENT);
      const old = dst.dir.entries.get(dst.key);
      if (old === node) return; // the same file under both names: nothing to do
      const isDir = (node.mode & S_IFMT) === S_IFDIR;
      // A directory cannot move below itself, nor anything onto a directory
      // above it (which cannot be empty), whatever the types say.
      if (isDir && isBelow(to, from)) fail(Errno.EINVAL);
      if (isBelow(from, to)) fail(Errno.ENOTEMPTY);
      if (old !== undefined) {
        const oldIsDir = (old.mode & S_IFMT) === S_IFDIR;
        if (isDir && !oldIsDir) fail(Errno.ENOTDIR);
        if (!isDir && oldIsDir) fail(Errno.EISDIR);
        if (oldIsDir && this.dir(old).entries.size > 0) fail(Errno.ENOTEMPTY);
        this.removeEntry(dst.dir, dst.key, old);
        if (oldIsDir) this.dirty(dst.dir).nlink--;
      }
      src.dir.entries.delete(src.key);
      this.track()?.entries.push([src.dir.ino, src.key, 0]);
      this.touch(src.dir);
      dst.dir.entries.set(dst.key, node);
      this.track()?.entries.push([dst.dir.ino, dst.key, node.ino]);
      this.touch(dst.dir);
      if (isDir) {
        src.dir.nlink--;
        dst.dir.nlink++;
      }
      this.dirty(node).ctimeNs = nowNs();
    } finally {
      this.commit();
    }
  }

  chmod(p: Path, perm: number): void {
    try {
      const node = this.dirty(this.resolve(p));
      node.mode = (node.mode & S_IFMT) | (perm & 0o7777);
      node.ctimeNs = nowNs();
    } finally {
      this.commit();
    }
  }

  chown(p: Path, uid: number, gid: number): void {
    try {
      const node = this.dirty(this.resolve(p));
      node.uid = uid;
      node.gid = gid;
      // As Linux's chown: a non-directory loses set-user-ID, and set-group-ID
      // where it means "run as the group" (group execute set).
      if ((node.mode & S_IFMT) !== S_IFDIR) {
        node.mode &= ~S_ISUID;
        if (node.mode & S_IXGRP) node.mode &= ~S_ISGID;
      }
      node.ctimeNs = nowNs();
    } finally {
      this.commit();
    }
  }

  truncate(p: Path, size: number): void {
    try {
      const node = this.resolve(p);
      if ((node.mode & S_IFMT) === S_IFDIR) fail(Errno.EISDIR);
      // A symlink's name is never followed (as O_NOFOLLOW answers).
      if ((node.mode & S_IFMT) !== S_IFREG) fail(Errno.ELOOP);
      this.blobs.open?.(node.blob!);
      try {
        this.setSize(node, size);
      } finally {
        this.blobs.close?.(node.blob!);
      }
    } finally {
      this.commit();
    }
  }

  utimes(p: Path, atimeNs: bigint, mtimeNs: bigint): void {
    try {
      const node = this.dirty(this.resolve(p));
      node.atimeNs = atimeNs;
      node.mtimeNs = mtimeNs;
      node.ctimeNs = nowNs();
    } finally {
      this.commit();
    }
  }

  statfs(): NineStatfs {
    const { total, free } = this.blobs.space();
    const files = 1n << 32n;
    return {
      fsType: this.fsType,
      bsize: BLOCK,
      blocks: BigInt(Math.floor(total / BLOCK)),
      bfree: BigInt(Math.floor(free / BLOCK)),
      bavail: BigInt(Math.floor(free / BLOCK)),
      files,
      ffree: files - BigInt(this.inodes),
    };
  }

  // -------------------------------------------------------------------------
  // For TreeFile

  /** @internal */ readData(node: Inode, buf: Uint8Array, pos: number): number {
    const n = Math.max(0, Math.min(buf.length, node.size - pos));
    if (n > 0) this.blobs.read(node.blob!, buf.subarray(0, n), pos);
    return n;
  }

  /** @internal */ writeData(node: Inode, data: Uint8Array, pos: number): number {
    if (data.length === 0) return 0;
    this.blobs.write(node.blob!, data, pos);
    node.size = Math.max(node.size, pos + data.length);
    this.touch(node);
    this.commit();
    return data.length;
  }

  /** @internal */ setSize(node: Inode, size: number): void {
    this.blobs.truncate(node.blob!, size);
    node.size = size;
    this.touch(node);
    this.commit();
  }

  /** @internal */ syncData(node: Inode): void {
    this.blobs.sync(node.blob!);
  }

  /** @internal */ statOf(node: Inode): NineStat {
    return {
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      nlink: BigInt(node.nlink),
      rdev: 0n,
      size: BigInt(node.size),
      blksize: BigInt(BLOCK),
      blocks: BigInt(Math.ceil(node.size / 512)),
      atimeNs: node.atimeNs,
      mtimeNs: node.mtimeNs,
      ctimeNs: node.ctimeNs,
      ino: BigInt(node.ino),
      dev: this.dev,
    };
  }

  /** @internal */ closed(node: Inode): void {
    this.blobs.close?.(node.blob!);
    node.opens--;
    this.release(node);
    this.commit();
  }

  // -------------------------------------------------------------------------

  private newInode(mode: number, uid: number, gid: number): Inode {
    const now = nowNs();
    this.inodes++;
    return this.dirty({
      ino: this.nextIno++,
      mode,
      uid,
      gid,
      nlink: 1,
      size: 0,
      atimeNs: now,
      mtimeNs: now,
      ctimeNs: now,
      opens: 0,
    });
  }

  private resolve(p: Path): Inode {
    let node = this.root;
    for (const name of p) node = this.dir(node).entries.get(keyOf(name)) ?? fail(Errno.ENOENT);
    return node;
  }

  private dir(node: Inode): Inode & { entries: Map<string, Inode> } {
    if (node.entries === undefined) fail(Errno.ENOTDIR);
    return node as Inode & { entries: Map<string, Inode> };
  }

  /** What holds p's last component, directory or not (the root has no parent here). */
  private resolveParent(p: Path): Inode {
    if (p.length === 0) fail(Errno.EBUSY);
    return this.resolve(p.slice(0, -1));
  }

  /** The directory that holds p's last component, and that component as a key. */
  private parentOf(p: Path): { dir: Inode & { entries: Map<string, Inode> }; key: string } {
    const dir = this.dir(this.resolveParent(p));
    return { dir, key: keyOf(p[p.length - 1]!) };
  }

  private addEntry(dir: Inode & { entries: Map<string, Inode> }, key: string, node: Inode): void {
    dir.entries.set(key, node);
    this.track()?.entries.push([dir.ino, key, node.ino]);
    this.touch(dir);
  }

  private removeEntry(
    dir: Inode & { entries: Map<string, Inode> },
    key: string,
    node: Inode,
  ): void {
    dir.entries.delete(key);
    this.track()?.entries.push([dir.ino, key, 0]);
    this.touch(dir);
    node.nlink -= (node.mode & S_IFMT) === S_IFDIR ? 2 : 1;
    this.dirty(node).ctimeNs = nowNs();
    this.release(node);
  }

  /** Frees a file nothing names or holds open any more. */
  private release(node: Inode): void {
    if (node.nlink > 0 || node.opens > 0) return;
    if (node.blob !== undefined) this.blobs.remove(node.blob);
    node.blob = undefined;
    this.inodes--;
    this.track()?.inodes.delete(node);
    this.track()?.freed.push(node.ino);
  }

  private touch(node: Inode): void {
    this.dirty(node).mtimeNs = node.ctimeNs = nowNs();
  }

  /** Notes that node's attributes change in this operation (for the journal). */
  private dirty(node: Inode): Inode {
    this.track()?.inodes.add(node);
    return node;
  }

  /** The operation's changes so far, with a journal to tell (else null). */
  private track(): {
    inodes: Set<Inode>;
    entries: [number, string, number][];
    freed: number[];
  } | null {
    if (this.journal === null) return null;
    return (this.changed ??= { inodes: new Set(), entries: [], freed: [] });
  }

  /** Tells the journal what the operation changed, once it is done. */
  /** @internal */ commit(): void {
    const c = this.changed;
    if (c === null || this.journal === null) return;
    this.changed = null;
    this.journal({ inodes: [...c.inodes].map(recordOf), entries: c.entries, freed: c.freed });
  }
}

class TreeFile implements NineFile {
  private open = true;

  constructor(
    private readonly store: TreeStore,
    private readonly node: Inode,
    private readonly append: boolean,
  ) {
    node.opens++;
  }

  read(buf: Uint8Array, pos: number): number {
    return this.store.readData(this.node, buf, pos);
  }

  write(data: Uint8Array, pos: number): number {
    return this.store.writeData(this.node, data, this.append ? this.node.size : pos);
  }

  truncate(size: number): void {
    this.store.setSize(this.node, size);
  }

  sync(): void {
    this.store.syncData(this.node);
  }

  stat(): NineStat {
    return this.store.statOf(this.node);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.store.closed(this.node);
  }
}

function recordOf(n: Inode): InodeRecord {
  return {
    ino: n.ino,
    mode: n.mode,
    uid: n.uid,
    gid: n.gid,
    nlink: n.nlink,
    size: n.size,
    atime: n.atimeNs.toString(),
    mtime: n.mtimeNs.toString(),
    ctime: n.ctimeNs.toString(),
    ...(n.target !== undefined ? { target: keyOf(n.target) } : {}),
    ...(n.blob !== undefined ? { blob: n.blob } : {}),
  };
}

/**
 * The tree a journal's history describes. Inodes no entry reaches any more
 * (unlinked while open when the journal stopped) have their contents freed.
 */
function replay(
  history: readonly TreeChanges[],
  blobs: BlobStore,
): { root: Inode; count: number; maxIno: number } {
  const byIno = new Map<number, Inode>();
  const pending: [number, string, number][] = [];
  let maxIno = ROOT_INO;
  for (const changes of history) {
    for (const r of changes.inodes) {
      maxIno = Math.max(maxIno, r.ino);
      const node = byIno.get(r.ino) ?? ({ ino: r.ino, opens: 0 } as Inode);
      node.mode = r.mode;
      node.uid = r.uid;
      node.gid = r.gid;
      node.nlink = r.nlink;
      node.size = r.size;
      node.atimeNs = BigInt(r.atime);
      node.mtimeNs = BigInt(r.mtime);
      node.ctimeNs = BigInt(r.ctime);
      if ((r.mode & S_IFMT) === S_IFDIR) node.entries ??= new Map();
      if (r.target !== undefined) node.target = nameOfKey(r.target);
      if (r.blob !== undefined) node.blob = r.blob;
      byIno.set(r.ino, node);
    }
    for (const e of changes.entries) pending.push(e);
    for (const ino of changes.freed) byIno.delete(ino);
    // Entries apply in order; an inode they name is written before them.
    for (const [dirIno, key, ino] of pending.splice(0)) {
      const dir = byIno.get(dirIno);
      if (dir?.entries === undefined) continue;
      const node = ino === 0 ? undefined : byIno.get(ino);
      if (node === undefined) dir.entries.delete(key);
      else dir.entries.set(key, node);
    }
  }
  const root = byIno.get(ROOT_INO);
  if (root?.entries === undefined) throw new Error('the journal has no root directory');
  const reached = new Set<Inode>();
  const visit = (n: Inode): void => {
    if (reached.has(n)) return;
    reached.add(n);
    if (n.entries) for (const child of n.entries.values()) visit(child);
  };
  visit(root);
  for (const node of byIno.values())
    if (!reached.has(node) && node.blob !== undefined) blobs.remove(node.blob);
  return { root, count: reached.size, maxIno };
}
