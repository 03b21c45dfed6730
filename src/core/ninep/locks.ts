// POSIX byte-range advisory locks behind Tlock/Tgetlock, in one table for the
// whole runtime (a Node process, or a page): every 9P engine (each --mount,
// each serve-9p connection) takes a session on it, so two mounts of one host
// directory, or two guests served by one process, see each other's locks.
// Files are keyed by their storage's identity (st_dev:st_ino for a host
// directory), not by path, so hard links and two exports of the same
// directory name the same lock list.
//
// An owner is (session, client_id, proc_id): the guest's v9fs sends the
// locking process's tgid as proc_id and its nodename as client_id, which are
// only unique within one connection, hence the session. The table never
// waits: a conflicting request gets BLOCKED at once and the client retries
// (Linux's v9fs does so for F_SETLKW), since a 9P server answering in order
// must not hold one reply back behind another client's unlock.
//
// Locks live only in this runtime's memory: they do not lock a host file for
// host processes, and they vanish when the process (or page) goes.

import { LockStatus, LockType } from './codec.js';

/** Exclusive end of a lock reaching "to EOF" (9P length 0): past every u64 offset. */
const TO_END = 1n << 64n;

/** Lock records one session may hold before requests get ERROR (ENOLCK in the guest). */
export const DEFAULT_MAX_LOCK_RECORDS = 10_000;

/**
 * Longest client_id kept (Linux sends its nodename, at most 64 bytes): every
 * record stores one, so the record cap alone would not bound memory.
 */
const MAX_CLIENT_ID = 256;

type HeldType = typeof LockType.RDLCK | typeof LockType.WRLCK;
type Status = (typeof LockStatus)[keyof typeof LockStatus];

/** What Tlock and Tgetlock carry, as the codec decodes it. */
export interface LockRequest {
  /** LockType: RDLCK, WRLCK or UNLCK. */
  readonly lockType: number;
  readonly start: bigint;
  /** 0 means "to the end of the file, however far it grows". */
  readonly length: bigint;
  readonly procId: number;
  /** The client's nodename, as bytes (the codec's reason: hostnames are bytes to Linux). */
  readonly clientId: Uint8Array;
}

/** A lock as Rgetlock reports it. */
export interface LockHolder {
  readonly lockType: HeldType;
  readonly start: bigint;
  readonly length: bigint;
  readonly procId: number;
  /** The client's nodename, as bytes (the codec's reason: hostnames are bytes to Linux). */
  readonly clientId: Uint8Array;
}

/** One server's (one connection's) view of the table. */
export interface LockSession {
  /** Sets (RDLCK/WRLCK) or clears (UNLCK) a range for the request's owner: Rlock's status. */
  lock(file: string, req: LockRequest): Status;
  /** The first lock of another owner that conflicts with the request, or null. */
  test(file: string, req: LockRequest): LockHolder | null;
  /** Drops every lock this session holds (its connection closed). */
  releaseAll(): void;
  /** Lock records held now (each a maximal range of one type for one owner). */
  readonly recordCount: number;
}

interface LockRecord {
  readonly session: Session;
  /** proc_id and client_id, unique within the session. */
  readonly owner: string;
  readonly procId: number;
  readonly clientId: Uint8Array;
  readonly lockType: HeldType;
  readonly start: bigint;
  /** Exclusive; TO_END for a lock to EOF. */
  readonly end: bigint;
}

export class LockTable {
  /** File key → every lock on it; a key with no locks is removed. */
  readonly #files = new Map<string, LockRecord[]>();

  session(maxRecords: number = DEFAULT_MAX_LOCK_RECORDS): LockSession {
    return new Session(this.#files, maxRecords);
  }

  /** Files with at least one lock (lets tests check that empty entries go). */
  get fileCount(): number {
    return this.#files.size;
  }
}

/** The table every 9P engine of this runtime shares. */
export const processLocks = new LockTable();

class Session implements LockSession {
  #count = 0;
  /** Files where this session may hold locks, so releaseAll need not scan the table. */
  readonly #mine = new Set<string>();

  constructor(
    private readonly files: Map<string, LockRecord[]>,
    private readonly maxRecords: number,
  ) {}

  get recordCount(): number {
    return this.#count;
  }

  lock(file: string, req: LockRequest): Status {
    const type = req.lockType;
    if (type !== LockType.RDLCK && type !== LockType.WRLCK && type !== LockType.UNLCK)
      return LockStatus.ERROR;
    if (req.clientId.length > MAX_CLIENT_ID) return LockStatus.ERROR;
    const { start, end } = span(req);
    const owner = ownerKey(req);
    const all = this.files.get(file) ?? [];
    if (type !== LockType.UNLCK && all.some((r) => this.conflicts(r, owner, type, start, end)))
      return LockStatus.BLOCKED;

    // The owner's new set of ranges: its old ones minus [start, end), plus the
    // new lock; the same owner never conflicts with itself, its new lock
    // simply replaces whatever it held there (POSIX).
    const mine: LockRecord[] = [];
    const others: LockRecord[] = [];
    for (const r of all) (this.owns(r, owner) ? mine : others).push(r);
    const next: LockRecord[] = [];
    for (const r of mine) {
      if (!overlaps(r, start, end)) next.push(r);
      else {
        if (r.start < start) next.push({ ...r, end: start });
        if (r.end > end) next.push({ ...r, start: end });
      }
    }
    if (type !== LockType.UNLCK)
      next.push({
        session: this,
        owner,
        procId: req.procId,
        clientId: req.clientId,
        lockType: type,
        start,
        end,
      });
    const merged = coalesce(next);

    // An unlock can split a range in two, so it counts against the cap too
    // (POSIX allows ENOLCK for F_UNLCK); otherwise a guest could grow the
    // table without bound by punching holes.
    const count = this.#count - mine.length + merged.length;
    if (count > this.maxRecords) return LockStatus.ERROR;
    this.#count = count;
    const updated = [...others, ...merged];
    if (updated.length === 0) this.files.delete(file);
    else this.files.set(file, updated);
    if (updated.some((r) => r.session === this)) this.#mine.add(file);
    else this.#mine.delete(file);
    return LockStatus.SUCCESS;
  }

  test(file: string, req: LockRequest): LockHolder | null {
    // Linux's v9fs always sends Tgetlock with type UNLCK, dropping the type
    // F_GETLK asked about, so UNLCK is read as the stricter F_WRLCK question
    // ("is anything of another owner there?"): F_GETLK(F_RDLCK) may then
    // report another owner's read lock, which a real F_SETLK(F_RDLCK) would
    // share, but no lock that would block is ever hidden.
    const type = req.lockType === LockType.RDLCK ? LockType.RDLCK : LockType.WRLCK;
    const { start, end } = span(req);
    const owner = ownerKey(req);
    let found: LockRecord | undefined;
    for (const r of this.files.get(file) ?? []) {
      if (
        this.conflicts(r, owner, type, start, end) &&
        (found === undefined || r.start < found.start)
      )
        found = r;
    }
    if (found === undefined) return null;
    return {
      lockType: found.lockType,
      start: found.start,
      length: found.end === TO_END ? 0n : found.end - found.start,
      procId: found.procId,
      clientId: found.clientId,
    };
  }

  releaseAll(): void {
    for (const file of this.#mine) {
      const rest = (this.files.get(file) ?? []).filter((r) => r.session !== this);
      if (rest.length === 0) this.files.delete(file);
      else this.files.set(file, rest);
    }
    this.#mine.clear();
    this.#count = 0;
  }

  private owns(r: LockRecord, owner: string): boolean {
    return r.session === this && r.owner === owner;
  }

  private conflicts(
    r: LockRecord,
    owner: string,
    type: HeldType,
    start: bigint,
    end: bigint,
  ): boolean {
    return (
      !this.owns(r, owner) &&
      overlaps(r, start, end) &&
      (type === LockType.WRLCK || r.lockType === LockType.WRLCK)
    );
  }
}

function ownerKey(req: LockRequest): string {
  // hex: a lossless text form of any bytes, so distinct ids stay distinct.
  let hex = '';
  for (const b of req.clientId) hex += b.toString(16).padStart(2, '0');
  return `${req.procId}\0${hex}`;
}

/** [start, end) of a request; a range past the last u64 offset is cut there. */
function span(req: LockRequest): { start: bigint; end: bigint } {
  const end = req.length === 0n ? TO_END : req.start + req.length;
  return { start: req.start, end: end > TO_END ? TO_END : end };
}

function overlaps(r: LockRecord, start: bigint, end: bigint): boolean {
  return r.start < end && start < r.end;
}

/** One owner's non-overlapping ranges, sorted, with touching ranges of one type joined (as Linux does). */
function coalesce(records: LockRecord[]): LockRecord[] {
  const sorted = [...records].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: LockRecord[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.lockType === r.lockType && last.end >= r.start)
      out[out.length - 1] = { ...last, end: r.end > last.end ? r.end : last.end };
    else out.push(r);
  }
  return out;
}
