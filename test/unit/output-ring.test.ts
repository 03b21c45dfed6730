// OutputRing (src/core/output-ring.ts): what the page reads is what the
// workers wrote, in order, across the ring's wrap-around; a closed ring
// never makes a writer wait.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OutputRing } from '../../src/core/output-ring.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string => (b ? new TextDecoder().decode(b) : '');

describe('OutputRing', () => {
  test('reads back writes in order, once', () => {
    const ring = new OutputRing(64);
    assert.equal(ring.read(), null);
    ring.write(bytes('hello '));
    ring.write(bytes('world'));
    assert.equal(text(ring.read()), 'hello world');
    assert.equal(ring.read(), null);
  });

  test('wraps around its end without losing or reordering bytes', () => {
    const ring = new OutputRing(16);
    // 20 chunks of 11 bytes through 16 bytes: every position is crossed.
    for (let i = 0; i < 20; i++) {
      const chunk = `${String(i).padStart(2, '0')}:abcdefg|`;
      ring.write(bytes(chunk));
      assert.equal(text(ring.read()), chunk);
    }
  });

  test('a second view of the same buffer sees the same ring (as a worker does)', () => {
    const page = new OutputRing(32);
    const worker = new OutputRing(page.buffer);
    worker.write(bytes('from a worker'));
    assert.equal(text(page.read()), 'from a worker');
  });

  test('the size must be a power of two', () => {
    assert.throws(() => new OutputRing(100), RangeError);
  });

  test('after close() a write to a full ring returns instead of waiting', (t) => {
    // Waiting is Atomics.wait; watch for it instead of timing the write,
    // which a busy machine can slow down. A wait throws here, which also
    // ends the write that would otherwise wait forever.
    const waits: number[] = [];
    t.mock.method(Atomics, 'wait', (_a: Int32Array, index: number) => {
      waits.push(index);
      throw new Error('the writer waited');
    });
    const ring = new OutputRing(8);
    ring.write(bytes('12345678'));
    // Open and full: the writer waits for the reader (so the check below can fail).
    assert.throws(() => ring.write(bytes('more')), /the writer waited/);
    assert.equal(waits.length, 1);
    ring.close();
    ring.write(bytes('more than fits'));
    assert.equal(waits.length, 1, 'a write to the closed ring waited');
    // Nothing of it went in: the reader still sees only what came before.
    assert.equal(text(ring.read()), '12345678');
  });
});
