// ProcessMemories: a worker reuses the memory of a process only once the
// kernel says that process is gone, and hands it out zeroed (for a fork
// copy: zero where the copy does not write), cleared on the spot or ahead of
// time by tidy().

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyMemory, ProcessMemories } from '../../src/core/process-memory.js';
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

  /** A parent memory of 4 wasm pages whose bytes all differ from zero, a "stack" at [4 KiB, 128 KiB). */
  const STACK = { start: 4096, end: 131072 };
  function parent(): WebAssembly.Memory {
    const m = new WebAssembly.Memory({ initial: 4, maximum: 40, shared: true });
    new Uint8Array(m.buffer).fill(0x5a);
    return m;
  }
  const LIMITS: UserMemoryLimits = { initial: 4, maximum: 40, shared: true };

  /** Whether copy matches from outside dead and is zero inside it. */
  function forkCopyOk(
    from: WebAssembly.Memory,
    copy: WebAssembly.Memory,
    dead: typeof STACK,
  ): boolean {
    const a = new Uint8Array(from.buffer);
    const b = new Uint8Array(copy.buffer);
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const want = i >= dead.start && i < dead.end ? 0 : a[i];
      if (b[i] !== want) return false;
    }
    return true;
  }

  test('a fork copy is the parent outside the dead stack and zero inside, made or reused', () => {
    const { memories, dead } = pool();
    const from = parent();
    const deadStack = { start: STACK.start, end: 65536 };
    const first = memories.copy(from, LIMITS, deadStack);
    assert.ok(forkCopyOk(from, first, deadStack));
    memories.adopt(1, first, LIMITS, STACK);
    dirty(first);
    dead.add(1);
    // One used memory back: the next copy is a new memory, the used one
    // left for tidy() (a loop of forks takes turns between two).
    const second = memories.copy(from, LIMITS, deadStack);
    assert.notEqual(second, first);
    assert.ok(forkCopyOk(from, second, deadStack));
    memories.adopt(2, second, LIMITS, STACK);
    dirty(second);
    dead.add(2);
    // Two used ones and no tidy(): one is reused and cleared on the spot.
    const third = memories.copy(from, LIMITS, deadStack);
    assert.ok(third === first || third === second);
    assert.ok(forkCopyOk(from, third, deadStack), 'the dead stack of a reused memory is zeroed');
  });

  test('tidy() clears returned memories ahead of a fork or an execve, a slice at a time', () => {
    const { memories, dead } = pool();
    const from = parent();
    const deadStack = { start: STACK.start, end: 65536 };
    const a = memories.copy(from, LIMITS, deadStack);
    memories.adopt(1, a, LIMITS, STACK);
    dirty(a);
    assert.equal(memories.tidy(), true, 'nothing to clear while its process lives');
    assert.ok(!isZero(a));
    dead.add(1);
    assert.equal(
      memories.tidy(() => false),
      false,
      'stops when told, with work left',
    );
    assert.ok(!isZero(a));
    assert.equal(memories.tidy(), true);
    assert.ok(isZero(a), 'a small memory is cleared whole');
    const b = memories.copy(from, LIMITS, deadStack);
    assert.equal(b, a, 'a fork takes the cleared memory');
    assert.ok(forkCopyOk(from, b, deadStack));
    memories.adopt(2, b, LIMITS, STACK);
    dirty(b);
    dead.add(2);
    assert.equal(memories.tidy(), true);
    assert.equal(memories.acquire(LIMITS), b, 'so does an execve');
    assert.ok(isZero(b));
  });

  test('copyMemory copies exactly [at, end), across its 256 KiB slices, and nothing else', () => {
    const pages = 20; // 1.25 MiB: five slices and a part
    const make = (): WebAssembly.Memory =>
      new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const [a, b] = [make(), make()];
    const [from, to] = [new Uint8Array(a.buffer), new Uint8Array(b.buffer)];
    for (let i = 0; i < from.length; i++) from[i] = (i * 31 + 7) & 0xff;
    to.fill(0xee);
    const [at, end] = [3, from.length - 5];
    copyMemory(a, b, at, end);
    for (let i = 0; i < to.length; i++) {
      const want = i >= at && i < end ? from[i] : 0xee;
      if (to[i] !== want) assert.fail(`byte ${i}: ${to[i]} instead of ${want}`);
    }
    // Again between the same pair (a cached copier), a smaller range.
    const before = to.slice(65535, 65541);
    from.fill(1, 0, 70000);
    copyMemory(a, b, 65536, 65540);
    assert.deepEqual([...to.subarray(65535, 65541)], [before[0], 1, 1, 1, 1, before[5]]);
  });
});
