// The browser's persistent home: a TreeStore (src/core/ninep/tree-store.ts)
// whose tree is kept by a TreeJournal and whose file contents are files in
// the origin-private file system (OPFS), one per blob, read and written
// through synchronous access handles on the 9P server thread.
//
//   <origin's OPFS>/<name>/head, log0, log1    the journal (tree-journal.ts)
//   <origin's OPFS>/<name>/blobs/<number>      one file's contents
//
// Reading and writing through a sync handle is synchronous, but getting a
// handle is not. So handles are kept open: every blob with an open file on
// it, the most recently used others, and a few empty spare files for the
// next creates. When a call needs a handle that is not there, the store
// throws NeedsAsync, and the server makes the call again once the handle
// is open (runLocalServerAsync). A removed blob's file is emptied and kept
// as a spare once the removal is in the journal, so that creating and
// removing files goes on without the event loop.

import { Errno } from '../../core/errno.js';
import { fail, NeedsAsync, NinePError } from '../../core/ninep/backend.js';
import type { ServerChores } from '../../core/ninep/local-server.js';
import { TreeJournal, type SyncFile } from '../../core/ninep/tree-journal.js';
import type { BlobStore, TreeStore } from '../../core/ninep/tree-store.js';

/** OPFS's FileSystemSyncAccessHandle (TypeScript's DOM types leave it to workers). */
interface SyncAccessHandle {
  read(buf: Uint8Array, options: { at: number }): number;
  write(buf: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/*
 * Chromium sets about 1 MiB of the quota aside for each open sync handle
 * (measured: 32 spares and the journal took 34.6 MB of usage), so handles
 * are not kept open by the hundred.
 */
/** Open handles of blobs nothing has open, at most. */
const CACHED_HANDLES = 64;
/** Spare empty files: made when fewer than LOW are left, up to HIGH. */
const SPARES_LOW = 4;
const SPARES_HIGH = 16;
/** How often the quota estimate is asked for again while idle (ms), and when statfs finds it stale. */
const SPACE_EVERY_MS = 5000;
const SPACE_FRESH_MS = 1000;
/** How long a handle the page before this one held may take to be let go (ms). */
const HANDLE_RETRY_MS = 5000;

function isDomError(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}

/**
 * A sync access handle on the file, waiting a while if another holds it:
 * after a reload, the page before may not have let go yet.
 */
async function openHandle(file: FileSystemFileHandle): Promise<SyncAccessHandle> {
  const open = (
    file as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }
  ).createSyncAccessHandle.bind(file);
  const until = performance.now() + HANDLE_RETRY_MS;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (!isDomError(err, 'NoModificationAllowedError') || performance.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Storage errors as errnos: a full quota is ENOSPC. */
function storageFailure(err: unknown): never {
  fail(isDomError(err, 'QuotaExceededError') ? Errno.ENOSPC : Errno.EIO);
}

/** Whether sync handles take views of shared memory (the spec says so; not every browser does). */
let sharedViewsOk = true;

class OpfsBlobs implements BlobStore {
  /** Open handles by blob; Map order is least recently used first. */
  private readonly handles = new Map<number, { h: SyncAccessHandle; pins: number }>();
  /** Empty files with open handles, for create(). */
  private readonly spares: { id: number; h: SyncAccessHandle }[] = [];
  /** Files no blob uses, with no open handle (emptied when taken). */
  private readonly unused: number[] = [];
  /** Blobs removed by the call under way: spares once it is answered. */
  private readonly removed: number[] = [];
  private nextId = 1;
  private making: Promise<void> | null = null;
  private space_ = { total: 0, free: 0 };
  private spaceAt = 0;
  private scratch = new Uint8Array(0);

  constructor(private readonly dir: FileSystemDirectoryHandle) {}

  /** After the journal is read: which files on disk the tree does not use. */
  adopt(onDisk: readonly number[], inUse: ReadonlySet<number>): void {
    this.removed.length = 0;
    for (const id of onDisk) {
      this.nextId = Math.max(this.nextId, id + 1);
      if (!inUse.has(id)) this.unused.push(id);
    }
    for (const id of inUse) this.nextId = Math.max(this.nextId, id + 1);
  }

  create(): number {
    const spare = this.spares.pop();
    if (spare === undefined) throw new NeedsAsync(this.makeSpares());
    this.handles.set(spare.id, { h: spare.h, pins: 1 });
    return spare.id;
  }

  read(blob: number, buf: Uint8Array, pos: number): void {
    const h = this.handle(blob);
    let at = 0;
    try {
      while (at < buf.length) {
        const n = h.read(buf.subarray(at), { at: pos + at });
        if (n <= 0) break;
        at += n;
      }
    } catch (err) {
      storageFailure(err);
    }
    // A file shorter than the tree says (lost outside this store) reads as zeros.
    buf.fill(0, at);
  }

  write(blob: number, data: Uint8Array, pos: number): void {
    const h = this.handle(blob);
    const shared = data.buffer instanceof SharedArrayBuffer;
    try {
      let n: number;
      try {
        n = h.write(shared && !sharedViewsOk ? this.copy(data) : data, { at: pos });
      } catch (err) {
        // The first refusal of a shared view says what this browser takes.
        if (!shared || !sharedViewsOk || !(err instanceof TypeError)) throw err;
        sharedViewsOk = false;
        n = h.write(this.copy(data), { at: pos });
      }
      if (n !== data.length) fail(Errno.ENOSPC);
    } catch (err) {
      if (err instanceof NinePError) throw err;
      storageFailure(err);
    }
  }

  truncate(blob: number, size: number): void {
    const h = this.handle(blob);
    try {
      h.truncate(size);
    } catch (err) {
      storageFailure(err);
    }
  }

  remove(blob: number): void {
    this.removed.push(blob);
  }

  sync(blob: number): void {
    const h = this.handle(blob);
    try {
      h.flush();
    } catch (err) {
      storageFailure(err);
    }
  }

  open(blob: number): void {
    const entry = this.handles.get(blob);
    if (entry === undefined) throw new NeedsAsync(this.load(blob));
    entry.pins++;
  }

  close(blob: number): void {
    const entry = this.handles.get(blob);
    if (entry !== undefined && entry.pins > 0) entry.pins--;
  }

  space(): { total: number; free: number } {
    // The estimate is asynchronous: a stale one is asked for again, for next time.
    if (performance.now() - this.spaceAt > SPACE_FRESH_MS) void this.refreshSpace();
    return this.space_;
  }

  /** After a call: files it removed become spares (their removal is in the journal now). */
  settle(): void {
    for (let id; (id = this.removed.pop()) !== undefined;) {
      const entry = this.handles.get(id);
      if (entry === undefined || entry.pins > 0) {
        this.unused.push(id);
        continue;
      }
      this.handles.delete(id);
      try {
        entry.h.truncate(0);
        this.spares.push({ id, h: entry.h });
      } catch {
        entry.h.close();
        this.unused.push(id);
      }
    }
  }

  /** While idle: more spares, and a fresh quota estimate now and then. */
  idle(): void {
    if (this.spares.length < SPARES_LOW && this.making === null) this.makeSpares().catch(() => {});
    if (performance.now() - this.spaceAt > SPACE_EVERY_MS) void this.refreshSpace();
  }

  async refreshSpace(): Promise<void> {
    this.spaceAt = performance.now();
    try {
      const { quota = 0, usage = 0 } = await navigator.storage.estimate();
      this.space_ = { total: quota, free: Math.max(0, quota - usage) };
    } catch {
      // Keep the last estimate.
    }
  }

  private handle(blob: number): SyncAccessHandle {
    const entry = this.handles.get(blob);
    if (entry === undefined) throw new NeedsAsync(this.load(blob));
    // Most recently used last.
    this.handles.delete(blob);
    this.handles.set(blob, entry);
    return entry.h;
  }

  private copy(data: Uint8Array): Uint8Array {
    if (this.scratch.length < data.length) this.scratch = new Uint8Array(data.length);
    const out = this.scratch.subarray(0, data.length);
    out.set(data);
    return out;
  }

  /** Opens a blob's handle (its file is made if it went missing). */
  private async load(blob: number): Promise<void> {
    const file = await this.dir.getFileHandle(String(blob), { create: true });
    const h = await openHandle(file);
    this.evict();
    this.handles.set(blob, { h, pins: 0 });
  }

  /** Closes least recently used handles nothing has open, past the limit. */
  private evict(): void {
    let idle = 0;
    for (const e of this.handles.values()) if (e.pins === 0) idle++;
    for (const [id, e] of this.handles) {
      if (idle < CACHED_HANDLES) break;
      if (e.pins > 0) continue;
      e.h.close();
      this.handles.delete(id);
      idle--;
    }
  }

  private makeSpares(): Promise<void> {
    this.making ??= (async () => {
      try {
        while (this.spares.length < SPARES_HIGH) {
          const id = this.unused.pop() ?? this.nextId++;
          const file = await this.dir.getFileHandle(String(id), { create: true });
          const h = await openHandle(file);
          try {
            h.truncate(0);
          } catch (err) {
            h.close();
            this.unused.push(id);
            throw err;
          }
          this.spares.push({ id, h });
        }
      } finally {
        this.making = null;
      }
    })();
    return this.making;
  }
}

/** A sync handle as the journal's SyncFile. */
function syncFile(h: SyncAccessHandle): SyncFile {
  return {
    read: (buf, at) => h.read(buf, { at }),
    write: (data, at) => h.write(data, { at }),
    truncate: (size) => h.truncate(size),
    getSize: () => h.getSize(),
    flush: () => h.flush(),
  };
}

export interface OpfsHome extends ServerChores {
  readonly store: TreeStore;
}

/** Opens (or starts) the home kept under `name` in this origin's OPFS. */
export async function openOpfsHome(name: string): Promise<OpfsHome> {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(name, { create: true });
  const blobDir = await dir.getDirectoryHandle('blobs', { create: true });
  const [head, log0, log1] = await Promise.all(
    ['head', 'log0', 'log1'].map(async (n) =>
      openHandle(await dir.getFileHandle(n, { create: true })),
    ),
  );
  const onDisk: number[] = [];
  for await (const key of (blobDir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (/^[1-9]\d*$/.test(key)) onDisk.push(Number(key));
  }
  const blobs = new OpfsBlobs(blobDir);
  const journal = new TreeJournal(
    { head: syncFile(head!), logs: [syncFile(log0!), syncFile(log1!)] },
    { blobs },
  );
  blobs.adopt(onDisk, journal.store.blobsInUse());
  await blobs.refreshSpace();
  let dirty = false;
  return {
    store: journal.store,
    afterCall: () => {
      blobs.settle();
      dirty = true;
    },
    idle: () => {
      // What the calls changed goes to the disk once they pause.
      if (dirty) {
        dirty = false;
        try {
          journal.flush();
        } catch {
          // Kept in the file anyway; a later flush may do.
        }
      }
      blobs.idle();
    },
  };
}
