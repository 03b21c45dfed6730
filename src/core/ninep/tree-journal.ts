// A TreeStore that survives its runtime: every operation's changes are
// appended to a log as one checksummed line, and the tree is read back by
// replaying the log. The browser's persistent home keeps its tree this way
// in the origin-private file system (file contents are the BlobStore's).
//
// Two logs take turns: when the one in use grows past a limit, a snapshot
// of the whole tree starts the other, and a small head file says which is
// current. A line cut short (the page closed mid-write) fails its checksum
// and is dropped with whatever follows it, so what is read back is always
// the tree after some whole number of operations; a head written before
// its snapshot was whole cannot happen, since the head changes last.
//
// A change is made in the tree before its line is written, so the line
// must not fail for want of space (the browser's quota): the log is kept
// longer than its lines by a reserve of zeros, which a read stops at like
// at a torn line, and a request that changes something first makes sure
// the reserve is there (writable()), failing with ENOSPC if it cannot be.

import { Errno } from '../errno.js';
import { fail } from './backend.js';
import {
  TreeStore,
  type BlobStore,
  type TreeChanges,
  type TreeStoreOptions,
} from './tree-store.js';

/**
 * A file read and written in place, at once: the shape of OPFS's
 * FileSystemSyncAccessHandle (with `at` as a plain argument).
 */
export interface SyncFile {
  read(buf: Uint8Array, at: number): number;
  write(data: Uint8Array, at: number): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
}

export interface JournalFiles {
  /** Which log is current: a few bytes, rewritten in one write. */
  readonly head: SyncFile;
  readonly logs: readonly [SyncFile, SyncFile];
}

/** A log past this many bytes is compacted into a snapshot. */
const DEFAULT_COMPACT_BYTES = 8 << 20;
const HEAD_BYTES = 64;
/**
 * The log grows by this much at a time, and a change needs a sixteenth of
 * it left (64 KiB: more than the line of any one request, which is a few
 * hundred bytes).
 */
const DEFAULT_RESERVE_BYTES = 1 << 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a of bytes, as 8 hex digits: enough to tell a torn line from a whole one. */
function checksum(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function readAll(f: SyncFile): Uint8Array {
  const buf = new Uint8Array(f.getSize());
  for (let at = 0; at < buf.length;) {
    const n = f.read(buf.subarray(at), at);
    if (n <= 0) return buf.subarray(0, at);
    at += n;
  }
  return buf;
}

/** The whole lines of a log (and the bytes they take); the rest is torn. */
function parseLog(bytes: Uint8Array): { changes: TreeChanges[]; valid: number } {
  const changes: TreeChanges[] = [];
  let at = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) break;
    const line = bytes.subarray(at, end);
    const tab = line.lastIndexOf(0x09);
    if (tab < 0) break;
    const body = line.subarray(0, tab);
    if (decoder.decode(line.subarray(tab + 1)) !== checksum(body)) break;
    try {
      changes.push(JSON.parse(decoder.decode(body)) as TreeChanges);
    } catch {
      break;
    }
    at = end + 1;
  }
  return { changes, valid: at };
}

export interface TreeJournalOptions {
  readonly blobs: BlobStore;
  readonly fsType?: number;
  /** Compact a log past this many bytes (default 8 MiB). */
  readonly compactBytes?: number;
  /** Grow the log by this many bytes at a time (default 1 MiB). */
  readonly reserveBytes?: number;
}

export class TreeJournal {
  readonly store: TreeStore;
  private current: 0 | 1;
  private generation: number;
  /** Bytes of whole lines in the current log; past them, zeros. */
  private size: number;
  /** The current log's length, reserve included. */
  private allocated: number;
  /** Where the log was when compacting last failed (no space): retry well past it. */
  private compactFailedAt = -1;
  private readonly compactBytes: number;
  private readonly reserveBytes: number;

  /** Reads the tree the files hold (an empty tree for empty files) and keeps them up to date. */
  constructor(
    private readonly files: JournalFiles,
    options: TreeJournalOptions,
  ) {
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.reserveBytes = options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
    const head = decoder.decode(readAll(files.head)).trim();
    const parsed = head ? (JSON.parse(head) as { log: 0 | 1; gen: number }) : { log: 0, gen: 0 };
    this.current = parsed.log === 1 ? 1 : 0;
    this.generation = parsed.gen;
    const log = files.logs[this.current];
    const { changes, valid } = parseLog(readAll(log));
    // A torn tail goes (and the reserve with it: it comes back with the
    // next change), so the next line is not glued onto it.
    if (valid < log.getSize()) log.truncate(valid);
    this.size = valid;
    this.allocated = valid;
    const storeOptions: TreeStoreOptions = {
      blobs: options.blobs,
      ...(options.fsType !== undefined ? { fsType: options.fsType } : {}),
      journal: (c) => this.append(c),
      writable: () => this.reserve(),
    };
    this.store = new TreeStore(storeOptions, changes);
    // Start from a snapshot whenever the history read back was long.
    if (this.size > this.compactBytes) this.tryCompact();
  }

  /** Makes what was written durable (the guest's fsync, or now and then). */
  flush(): void {
    this.files.logs[this.current].flush();
  }

  /** Makes sure a change's line will fit in the log; ENOSPC if there is no room for it. */
  private reserve(): void {
    if (this.allocated - this.size >= this.reserveBytes / 16) return;
    try {
      this.files.logs[this.current].truncate(this.size + this.reserveBytes);
      this.allocated = this.size + this.reserveBytes;
    } catch {
      fail(Errno.ENOSPC);
    }
  }

  private append(changes: TreeChanges): void {
    const line = this.line(changes);
    this.files.logs[this.current].write(line, this.size);
    this.size += line.length;
    this.allocated = Math.max(this.allocated, this.size);
    if (this.size > this.compactBytes && this.size > this.compactFailedAt + this.compactBytes / 8)
      this.tryCompact();
  }

  private tryCompact(): void {
    try {
      this.compact();
    } catch {
      // No room for the snapshot: the current log goes on (it is whole,
      // and the head still names it); try again once it has grown more.
      this.compactFailedAt = this.size;
    }
  }

  private line(changes: TreeChanges): Uint8Array {
    const body = encoder.encode(JSON.stringify(changes));
    return encoder.encode(`${decoder.decode(body)}\t${checksum(body)}\n`);
  }

  /** Starts the other log with a snapshot, then points the head at it. */
  private compact(): void {
    const next = this.current === 0 ? 1 : 0;
    const log = this.files.logs[next];
    const line = this.line(this.store.snapshot());
    log.truncate(0);
    log.write(line, 0);
    log.flush();
    this.generation++;
    const head = encoder.encode(
      JSON.stringify({ log: next, gen: this.generation }).padEnd(HEAD_BYTES, ' '),
    );
    this.files.head.write(head, 0);
    this.files.head.flush();
    this.current = next;
    this.size = line.length;
    this.allocated = line.length;
    this.compactFailedAt = -1;
  }
}
