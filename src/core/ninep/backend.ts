// The storage a 9P engine (engine.ts) serves: a host directory in Node
// (src/node/ninep/fs-backend.ts), a tree in memory (memory-backend.ts), the
// browser's origin-private file system. The engine owns the protocol — fids,
// walks, readdir cookies, open flags, locks, errno replies — and asks the
// backend only for storage operations on a path.
//
// A path is a list of components below the export root ([] is the root),
// each already checked by the engine: not empty, no '/' or NUL, not '.' or
// '..', at most 255 bytes. Names are bytes, as on Linux. No operation
// follows a symlink in its last component (lstat, not stat), and none may
// reach outside the export: that confinement is the backend's, since only
// it knows what its storage can do under it.
//
// Every call is synchronous, so an engine can answer a request without
// giving up its thread (the fast path runs it next to the kernel). A
// failure is thrown: a NinePError with the errno to report, or an error
// whose `code` names one ('ENOENT', as Node's fs errors do).

import { Errno, errnoByName } from '../errno.js';

/** Linux file type bits of st_mode (S_IFMT and friends). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** A file's attributes, as Linux's struct stat has them. */
export interface NineStat {
  /** Type bits and permission bits (st_mode). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: bigint;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly blksize: bigint;
  readonly blocks: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  /** Identity within the storage: with dev, names the file for locks and qids. */
  readonly ino: bigint;
  readonly dev: bigint;
}

export interface NineStatfs {
  /** f_type: the filesystem's magic number. */
  readonly fsType: number;
  readonly bsize: number;
  readonly blocks: bigint;
  readonly bfree: bigint;
  readonly bavail: bigint;
  readonly files: bigint;
  readonly ffree: bigint;
}

/** One directory entry as listed: its name and its attributes. */
export interface NineListed {
  readonly name: Uint8Array;
  readonly stat: NineStat;
}

/** How a file is opened: the Linux open(2) bits that matter to storage. */
export interface OpenMode {
  /** O_ACCMODE's value: 0 read, 1 write, 2 both. */
  readonly access: 0 | 1 | 2;
  readonly truncate: boolean;
  readonly append: boolean;
}

/** An open regular file. Positions are below 2^53 (the engine checks). */
export interface NineFile {
  /** Reads into buf from pos; returns the bytes read (0 at the end). */
  read(buf: Uint8Array, pos: number): number;
  /** Writes data at pos (at the end when opened for append); returns the bytes written. */
  write(data: Uint8Array, pos: number): number;
  truncate(size: number): void;
  sync(dataOnly: boolean): void;
  stat(): NineStat;
  close(): void;
}

export interface NinePBackend {
  lstat(path: readonly Uint8Array[]): NineStat;
  /** The entries of a directory, without '.' and '..', in any order. */
  list(path: readonly Uint8Array[]): NineListed[];
  /** Opens an existing regular file (never a symlink: ELOOP). */
  open(path: readonly Uint8Array[], mode: OpenMode): NineFile;
  /** Creates and opens a regular file; exclusive fails with EEXIST if the name is taken. */
  create(path: readonly Uint8Array[], mode: OpenMode, perm: number, exclusive: boolean): NineFile;
  mkdir(path: readonly Uint8Array[], perm: number): void;
  /** Stores target as given: the guest resolves symlinks, never the backend. */
  symlink(path: readonly Uint8Array[], target: Uint8Array): void;
  readlink(path: readonly Uint8Array[]): Uint8Array;
  /** A hard link at path to the file at existing (a symlink itself, not its target). */
  link(existing: readonly Uint8Array[], path: readonly Uint8Array[]): void;
  /** Removes a non-directory (a directory: EISDIR, as Linux says). */
  unlink(path: readonly Uint8Array[]): void;
  /** Removes an empty directory. */
  rmdir(path: readonly Uint8Array[]): void;
  /** rename(2): replaces what is at to, as Linux does. */
  rename(from: readonly Uint8Array[], to: readonly Uint8Array[]): void;
  chmod(path: readonly Uint8Array[], perm: number): void;
  /** May fail with EPERM where the storage cannot give files away (the engine then ignores it). */
  chown(path: readonly Uint8Array[], uid: number, gid: number): void;
  /** Truncates a regular file by name (not a symlink). */
  truncate(path: readonly Uint8Array[], size: number): void;
  /** Sets the times of the file itself (not a symlink's target), in ns since the epoch. */
  utimes(path: readonly Uint8Array[], atimeNs: bigint, mtimeNs: bigint): void;
  statfs(path: readonly Uint8Array[]): NineStatfs;
  /**
   * Asked before every request that changes something; throws (ENOSPC)
   * when the storage could not keep a change now, so that it fails before
   * anything has changed.
   */
  writable?(): void;
}

/** An operation failure carrying the errno to report. */
export class NinePError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/**
 * One error object per errno, thrown again and again: a failure is a common
 * answer (a walk to a name that does not exist starts every create), and
 * its stack is never looked at.
 */
const failures = new Map<number, NinePError>();

/** Throws NinePError(errno). */
export function fail(errno: number): never {
  let err = failures.get(errno);
  if (err === undefined) {
    err = new NinePError(errno);
    failures.set(errno, err);
  }
  throw err;
}

/**
 * Thrown by a storage whose next step needs the event loop (opening a file
 * in the browser's origin-private file system is asynchronous): nothing
 * has changed yet, and the same call is to be made again once `ready`
 * settles. Only a server that can wait (local-server.ts's
 * serveLocalExports) may use such a storage; the engine passes it through.
 */
export class NeedsAsync {
  constructor(readonly ready: Promise<unknown>) {}
}

export const isDir = (st: NineStat): boolean => (st.mode & S_IFMT) === S_IFDIR;
export const isRegular = (st: NineStat): boolean => (st.mode & S_IFMT) === S_IFREG;
export const isSymlink = (st: NineStat): boolean => (st.mode & S_IFMT) === S_IFLNK;

/** A name made of the bytes of text (for tests and fixed names). */
export function nameOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Orders names bytewise, as Buffer.compare and memcmp do. */
export function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The errno to report for whatever a backend threw. */
export function errnoOf(err: unknown): number {
  if (err instanceof NinePError) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return Errno.EIO;
  const known = errnoByName(code);
  if (known !== undefined) return known;
  // Node's own argument checks (ERR_OUT_OF_RANGE, ERR_INVALID_ARG_VALUE...).
  if (code.startsWith('ERR_')) return Errno.EINVAL;
  return Errno.EIO;
}
