// 9P storage in memory: a TreeStore whose file contents are byte arrays.
// What the tests use for a backend with no host under it, and what the page
// mounts when the browser has no origin-private file system. Gone with the
// runtime.

import { Errno } from '../errno.js';
import { fail } from './backend.js';
import { TreeStore, type BlobStore } from './tree-store.js';

export interface MemoryBackendOptions {
  /** Bytes of file contents the store may hold (default 1 GiB): past it, ENOSPC. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

/** Blobs as growable byte arrays, within a byte budget. */
export class MemoryBlobs implements BlobStore {
  private readonly blobs = new Map<number, { data: Uint8Array; size: number }>();
  private nextId = 1;
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  create(): number {
    const id = this.nextId++;
    this.blobs.set(id, { data: new Uint8Array(0), size: 0 });
    return id;
  }

  read(blob: number, buf: Uint8Array, pos: number): void {
    const b = this.get(blob);
    buf.set(b.data.subarray(pos, pos + buf.length));
  }

  write(blob: number, data: Uint8Array, pos: number): void {
    const b = this.get(blob);
    const end = pos + data.length;
    if (end > b.size) this.resize(b, end);
    b.data.set(data, pos);
  }

  truncate(blob: number, size: number): void {
    this.resize(this.get(blob), size);
  }

  remove(blob: number): void {
    const b = this.blobs.get(blob);
    if (b === undefined) return;
    this.used -= b.size;
    this.blobs.delete(blob);
  }

  sync(): void {
    // Memory is as durable as it gets here.
  }

  space(): { total: number; free: number } {
    return { total: this.maxBytes, free: this.maxBytes - this.used };
  }

  private get(blob: number): { data: Uint8Array; size: number } {
    return this.blobs.get(blob) ?? fail(Errno.EIO);
  }

  /** Sets a blob's size: zeros past the old end, room grown by doubling. */
  private resize(b: { data: Uint8Array; size: number }, size: number): void {
    if (size > b.size && this.used + (size - b.size) > this.maxBytes) fail(Errno.ENOSPC);
    if (size > b.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(b.data.length * 2, size + (1 << 24))));
      grown.set(b.data.subarray(0, b.size));
      b.data = grown;
    } else if (size < b.size) b.data.fill(0, size, b.size);
    this.used += size - b.size;
    b.size = size;
  }
}

/** A new, empty tree in memory. */
export function memoryBackend(options: MemoryBackendOptions = {}): TreeStore {
  return new TreeStore({ blobs: new MemoryBlobs(options.maxBytes ?? DEFAULT_MAX_BYTES) });
}
