// ProcessMemories: a worker reuses the memory of a process only once the
// kernel says that process is gone, and hands it out zeroed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcessMemories } from '../../src/core/process-memory.js';
import type { UserMemoryLimits } from '../../src/core/user-module.js';

const SHARED: UserMemoryLimits = { initial: 2, maximum: 40, shared: true };
const PRIVATE: UserMemoryLimits = { initial: 3, maximum: undefined, shared: false };

function dirty(m: WebAssembly.Memory): void {
  new Uint8Array(m.buffer).fill(0xa5);
}

function isZero(m: WebAssembly.Memory): boolean {
  return new Uint8Array(m.buffer).every((b) => b === 0);
}

/** A memory pool whose processes are alive until killed. */
function pool(): { memories: ProcessMemories; dead: Set<number> } {
  const dead = new Set<number>();
  return { memories: new ProcessMemories((id) => !dead.has(id)), dead };
}

describe('ProcessMemories', () => {
  for (const limits of [SHARED, PRIVATE]) {
    test(`reuses a ${limits.shared ? 'shared' : 'private'} memory once its process is gone, zeroed`, () => {
      const { memories, dead } = pool();
      const a = memories.acquire(limits);
      assert.equal(a.buffer.byteLength, limits.initial * 65536);
      dirty(a);
      memories.adopt(7, a, limits);
      const b = memories.acquire(limits);
      assert.notEqual(b, a, 'a live process keeps its memory');
      assert.ok(isZero(b));
      dead.add(7);
      const c = memories.acquire(limits);
      assert.equal(c, a, 'the dead process gives its memory back');
      assert.ok(isZero(c), 'reused memory is zeroed');
      assert.equal(memories.reused, 1);
    });
  }

  test('never hands out a memory with other limits; reuses one that grew, zeroed whole', () => {
    const { memories, dead } = pool();
    const g = memories.acquire(SHARED);
    g.grow(3);
    dirty(g);
    memories.adopt(2, g, SHARED);
    dead.add(2);
    const other = memories.acquire({ ...SHARED, maximum: 41 });
    assert.notEqual(other, g);
    const same = memories.acquire(SHARED);
    assert.equal(same, g);
    assert.equal(same.buffer.byteLength, (SHARED.initial + 3) * 65536);
    assert.ok(isZero(same), 'the grown part is zeroed too');
  });

  test('keeps at most two free memories', () => {
    const { memories, dead } = pool();
    const made = [1, 2, 3, 4].map((id) => {
      const m = memories.acquire(SHARED);
      memories.adopt(id, m, SHARED);
      return m;
    });
    for (const id of [1, 2, 3, 4]) dead.add(id);
    memories.acquire({ ...SHARED, maximum: 99 }); // reclaims, reuses none
    assert.equal(memories.counts.free, 2);
    const reused = [memories.acquire(SHARED), memories.acquire(SHARED), memories.acquire(SHARED)];
    assert.equal(reused.filter((m) => made.includes(m)).length, 2);
  });

  test('a memory given back unused is reused', () => {
    const { memories } = pool();
    const a = memories.acquire(PRIVATE);
    memories.giveBack(a, PRIVATE);
    assert.equal(memories.acquire(PRIVATE), a);
  });
});
