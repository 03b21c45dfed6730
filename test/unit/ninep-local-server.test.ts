// The 9P server thread (src/core/ninep/local-server.ts, started as Node's
// src/node/ninep-worker.ts) and its call ring (call-ring.ts): this thread
// plays a kernel worker, writing T-messages into a shared "kernel memory"
// and calling through the ring as the kernel's p9_request import does.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { after, before, describe, test } from 'node:test';
import { buildSync } from 'esbuild';
import { Errno } from '../../src/core/errno.js';
import { nameOf } from '../../src/core/ninep/backend.js';
import { markServerGone, newCallRing, NinePCaller } from '../../src/core/ninep/call-ring.js';
import {
  decodeReply,
  encodeRequest,
  NOFID,
  NOTAG,
  type NinePReply,
  type NinePRequest,
} from '../../src/core/ninep/codec.js';
import type { LocalServerInit } from '../../src/core/ninep/local-server.js';

// The Node entry, bundled from source as the build does (a worker does not
// get the test's TypeScript loader).
const dir = fs.mkdtempSync(join(tmpdir(), 'wasmlinux-9p-thread-'));
const entry = join(dir, 'ninep-worker.cjs');
buildSync({
  entryPoints: [fileURLToPath(new URL('../../src/node/ninep-worker.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: entry,
  logLevel: 'warning',
});

const TC = 0x1000;
const RC = 0x100000;
const RC_CAP = 0x80000;
type Untagged<R> = R extends unknown ? Omit<R, 'tag'> : never;

class Kernel {
  readonly memory = new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });
  readonly ring = newCallRing();
  readonly caller = new NinePCaller(this.ring, () => new Uint8Array(this.memory.buffer));
  private worker: Worker | null = null;

  start(exports: LocalServerInit['exports']): void {
    const init: LocalServerInit = { memory: this.memory, ring: this.ring, exports };
    this.worker = new Worker(entry, { workerData: init });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }

  rpc(chan: number, exportIndex: number, req: Untagged<NinePRequest>, rcCap = RC_CAP): NinePReply {
    const tag = req.kind === 'version' ? NOTAG : 7;
    const t = encodeRequest({ ...req, tag } as NinePRequest);
    const kmem = new Uint8Array(this.memory.buffer);
    kmem.set(t, TC);
    const len = this.caller.request(chan, exportIndex, TC, t.length, RC, rcCap);
    const { tag: got, reply } = decodeReply(kmem.slice(RC, RC + len), 1 << 20);
    assert.equal(got, tag);
    return reply;
  }

  mount(chan: number, exportIndex: number): void {
    this.rpc(chan, exportIndex, { kind: 'version', msize: 1 << 20, version: '9P2000.L' });
    const a = this.rpc(chan, exportIndex, {
      kind: 'attach',
      fid: 0,
      afid: NOFID,
      uname: 'root',
      aname: new Uint8Array(),
      nUname: 0,
    });
    assert.equal(a.kind, 'attach');
  }
}

describe('9P server thread and call ring', () => {
  const k = new Kernel();
  let hostDir = '';
  before(() => {
    hostDir = fs.mkdtempSync(join(dir, 'export-'));
    fs.writeFileSync(join(hostDir, 'on-host'), 'from the host\n');
    k.start([
      { kind: 'memory', readOnly: false },
      null,
      { kind: 'dir', root: hostDir, readOnly: true },
    ]);
  });
  after(async () => {
    await k.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a tree in memory: create, write and read back; a second mount sees the file', () => {
    k.mount(1, 0);
    k.rpc(1, 0, { kind: 'walk', fid: 0, newfid: 1, names: [] });
    const c = k.rpc(1, 0, {
      kind: 'lcreate',
      fid: 1,
      name: nameOf('f'),
      flags: 2,
      mode: 0o644,
      gid: 0,
    });
    assert.equal(c.kind, 'lcreate');
    const data = new Uint8Array(200_000).map((_, i) => i & 0xff);
    assert.deepEqual(k.rpc(1, 0, { kind: 'write', fid: 1, offset: 0n, data }), {
      kind: 'write',
      count: data.length,
    });
    k.mount(2, 0);
    k.rpc(2, 0, { kind: 'walk', fid: 0, newfid: 5, names: [nameOf('f')] });
    k.rpc(2, 0, { kind: 'lopen', fid: 5, flags: 0 });
    const r = k.rpc(2, 0, { kind: 'read', fid: 5, offset: 100_000n, count: 50_000 });
    assert.equal(r.kind, 'read');
    assert.deepEqual(r.kind === 'read' && r.data, data.subarray(100_000, 150_000));
  });

  test('a closed channel forgets its fids; the tree stays', () => {
    k.caller.close(1);
    assert.deepEqual(k.rpc(1, 0, { kind: 'getattr', fid: 1, requestMask: 1n }), {
      kind: 'lerror',
      ecode: Errno.EBADF,
    });
    k.mount(1, 0);
    const w = k.rpc(1, 0, { kind: 'walk', fid: 0, newfid: 1, names: [nameOf('f')] });
    assert.equal(w.kind, 'walk');
  });

  test('a host directory, read-only', () => {
    k.mount(3, 2);
    k.rpc(3, 2, { kind: 'walk', fid: 0, newfid: 1, names: [nameOf('on-host')] });
    k.rpc(3, 2, { kind: 'lopen', fid: 1, flags: 0 });
    const r = k.rpc(3, 2, { kind: 'read', fid: 1, offset: 0n, count: 100 });
    assert.equal(r.kind === 'read' && Buffer.from(r.data).toString(), 'from the host\n');
    assert.deepEqual(
      k.rpc(3, 2, { kind: 'mkdir', dfid: 0, name: nameOf('d'), mode: 0o755, gid: 0 }),
      { kind: 'lerror', ecode: Errno.EROFS },
    );
  });

  test('what cannot be answered is EIO: an export that is not local, a reply too large', () => {
    assert.deepEqual(k.rpc(4, 1, { kind: 'version', msize: 65536, version: '9P2000.L' }), {
      kind: 'lerror',
      ecode: Errno.EIO,
    });
    k.rpc(2, 0, { kind: 'walk', fid: 0, newfid: 6, names: [nameOf('f')] });
    k.rpc(2, 0, { kind: 'lopen', fid: 6, flags: 0 });
    assert.deepEqual(k.rpc(2, 0, { kind: 'read', fid: 6, offset: 0n, count: 4096 }, 1000), {
      kind: 'lerror',
      ecode: Errno.EIO,
    });
  });

  test(
    'once the server thread is gone, calls answer EIO (and do not wait)',
    { timeout: 60_000 },
    async () => {
      await k.stop();
      markServerGone(k.ring);
      assert.deepEqual(k.rpc(2, 0, { kind: 'clunk', fid: 6 }), {
        kind: 'lerror',
        ecode: Errno.EIO,
      });
    },
  );
});
