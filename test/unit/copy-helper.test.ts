// The fork copy helper (src/core/copy-helper.ts): a real helper thread
// copies half of a large copy; a helper that never answers is revoked and
// the copy is still whole.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { after, describe, test } from 'node:test';
import { buildSync } from 'esbuild';
import {
  type CopyHelperInit,
  type CopyHelperPort,
  PARALLEL_COPY_MIN,
  ParallelCopier,
  splitRanges,
} from '../../src/core/copy-helper.js';

const workers: Worker[] = [];
// The Node helper entry, bundled from source as the build does (a worker
// does not get the test's TypeScript loader).
const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-copy-helper-'));
const entry = join(dir, 'copy-helper.cjs');
buildSync({
  entryPoints: [fileURLToPath(new URL('../../src/node/copy-helper.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: entry,
  logLevel: 'warning',
});

function startHelper(init: CopyHelperInit): CopyHelperPort {
  const w = new Worker(entry, { workerData: init });
  w.unref();
  workers.push(w);
  return { post: (r) => w.postMessage(r), terminate: () => void w.terminate() };
}

function memories(bytes: number): [WebAssembly.Memory, WebAssembly.Memory] {
  const pages = bytes / 65536;
  const make = (): WebAssembly.Memory =>
    new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const from = make();
  const src = new Uint8Array(from.buffer);
  for (let i = 0; i < src.length; i += 4093) src[i] = (i * 7 + 1) & 0xff;
  return [from, make()];
}

/** to equals from inside ranges and is zero elsewhere (sampled densely). */
function check(
  from: WebAssembly.Memory,
  to: WebAssembly.Memory,
  skip: { start: number; end: number },
): void {
  const [a, b] = [new Uint8Array(from.buffer), new Uint8Array(to.buffer)];
  for (let i = 0; i < a.length; i += 4093) {
    const want = i >= skip.start && i < skip.end ? 0 : a[i];
    if (b[i] !== want) assert.fail(`byte ${i}: ${b[i]} instead of ${want}`);
  }
}

describe('fork copy helper', () => {
  after(() => {
    workers.forEach((w) => void w.terminate());
    rmSync(dir, { recursive: true, force: true });
  });

  test('splitRanges halves the bytes in address order, in whole 64 KiB', () => {
    const MiB = 1 << 20;
    const [mine, theirs] = splitRanges([
      { start: 0, end: 3 * MiB },
      { start: 8 * MiB, end: 9 * MiB },
    ]);
    assert.deepEqual(mine, [{ start: 0, end: 2 * MiB }]);
    assert.deepEqual(theirs, [
      { start: 2 * MiB, end: 3 * MiB },
      { start: 8 * MiB, end: 9 * MiB },
    ]);
  });

  test('a helper thread copies half of a large copy; the result is whole', async () => {
    const copier = new ParallelCopier(startHelper);
    const bytes = 2 * PARALLEL_COPY_MIN;
    const [from, to] = memories(bytes);
    const skip = { start: 1 << 20, end: 2 << 20 };
    const ranges = [
      { start: 0, end: skip.start },
      { start: skip.end, end: bytes },
    ];
    // The first copy starts the helper; it helps once it is up.
    for (let tries = 0; copier.helped === 0 && tries < 100; tries++) {
      copier.copy(from, to, ranges);
      check(from, to, skip);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(copier.helped > 0, 'the helper never took a copy');
    new Uint8Array(from.buffer).fill(9, bytes - 100, bytes);
    copier.copy(from, to, ranges);
    check(from, to, skip);
    assert.equal(new Uint8Array(to.buffer)[bytes - 1], 9);
  });

  test('a helper that never claims its request is revoked, and the copy is still whole', () => {
    let terminated = 0;
    const copier = new ParallelCopier((init) => {
      Atomics.store(new Int32Array(init.ctl), 1, 1); // listening, but deaf
      return { post: () => undefined, terminate: () => void terminated++ };
    });
    const bytes = PARALLEL_COPY_MIN;
    const [from, to] = memories(bytes);
    copier.copy(from, to, [{ start: 0, end: bytes }]);
    check(from, to, { start: 0, end: 0 });
    assert.equal(copier.helped, 0);
    assert.equal(terminated, 1, 'the deaf helper is ended');
  });
});
