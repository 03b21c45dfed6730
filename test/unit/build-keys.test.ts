// Build cache keys hash contents, never the checkout's location: two clones
// of one commit sharing a cache must reuse each other's builds.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxKey } from '../../tools/build/busybox.js';
import { repoRoot } from '../../tools/build/paths.js';

/** What busyboxKey reads from a checkout. */
const INPUTS = [
  'userland/busybox',
  'tools/wasm',
  'src/core/wasm',
  'tools/build/guest-cc.ts',
  'bin/wasmlinux-cc',
];

let work: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'wasmlinux-keys-'));
});

after(() => rmSync(work, { recursive: true, force: true }));

function checkout(name: string): string {
  const dir = join(work, name);
  for (const p of INPUTS) cpSync(join(repoRoot(), p), join(dir, p), { recursive: true });
  return dir;
}

describe('busyboxKey', () => {
  const sysroot = '/cache/wasmlinux/musl-sysroot/0123456789abcdef';

  test('is the same for two checkouts at different paths', () => {
    const a = checkout('a');
    const b = checkout(join('deeper', 'clone-b'));
    const key = busyboxKey(repoRoot(), sysroot, 'clang 19');
    assert.equal(busyboxKey(a, sysroot, 'clang 19'), key);
    assert.equal(busyboxKey(b, sysroot, 'clang 19'), key);
  });

  test('does not depend on where the cache is, only on the sysroot key', () => {
    const key = busyboxKey(repoRoot(), sysroot, 'clang 19');
    const elsewhere = '/other/cache/musl-sysroot/0123456789abcdef';
    assert.equal(busyboxKey(repoRoot(), elsewhere, 'clang 19'), key);
    assert.notEqual(busyboxKey(repoRoot(), '/c/musl-sysroot/fedcba9876543210', 'clang 19'), key);
  });

  test('differs between the nommu BusyBox and the ash one', () => {
    const key = busyboxKey(repoRoot(), sysroot, 'clang 19');
    assert.equal(busyboxKey(repoRoot(), sysroot, 'clang 19', 'nommu'), key);
    assert.notEqual(busyboxKey(repoRoot(), sysroot, 'clang 19', 'ash'), key);
  });

  test('changes when an input changes', () => {
    const c = checkout('c');
    const key = busyboxKey(c, sysroot, 'clang 19');
    assert.notEqual(busyboxKey(c, sysroot, 'clang 20'), key);
    writeFileSync(join(c, 'userland/busybox/config'), '# CONFIG_X is not set\n', { flag: 'a' });
    assert.notEqual(busyboxKey(c, sysroot, 'clang 19'), key);
  });
});
