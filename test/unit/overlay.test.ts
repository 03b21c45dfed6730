import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { syncDir } from '../../tools/build/overlay.js';

let work: string;
let src: string;
let dst: string;

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

function read(root: string, rel: string): string {
  return readFileSync(join(root, rel), 'utf8');
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'wasmlinux-overlay-test-'));
  src = join(work, 'src');
  dst = join(work, 'dst');
  write(src, 'Makefile', 'all:\n');
  write(src, 'kernel/setup.c', 'int x;\n');
  write(src, 'include/asm/page.h', '#define PAGE_SHIFT 16\n');
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

test('creates dst and copies everything the first time', () => {
  const r = syncDir(src, dst);
  assert.deepEqual(r, { copied: 3, removed: 0 });
  assert.equal(read(dst, 'kernel/setup.c'), 'int x;\n');
  assert.equal(read(dst, 'include/asm/page.h'), '#define PAGE_SHIFT 16\n');
});

test('copies only changed files, keeping the mtime of unchanged ones', () => {
  syncDir(src, dst);
  // Backdate dst so a rewrite would be visible as a newer mtime.
  const old = new Date('2001-01-01T00:00:00Z');
  for (const rel of ['Makefile', 'kernel/setup.c', 'include/asm/page.h']) {
    utimesSync(join(dst, rel), old, old);
  }
  write(src, 'kernel/setup.c', 'int x = 1;\n'); // changed content
  write(src, 'kernel/irq.c', 'int y;\n'); // new file

  const r = syncDir(src, dst);
  assert.deepEqual(r, { copied: 2, removed: 0 });
  assert.equal(read(dst, 'kernel/setup.c'), 'int x = 1;\n');
  assert.equal(read(dst, 'kernel/irq.c'), 'int y;\n');
  assert.equal(statSync(join(dst, 'Makefile')).mtimeMs, old.getTime());
  assert.equal(statSync(join(dst, 'include/asm/page.h')).mtimeMs, old.getTime());
  assert.notEqual(statSync(join(dst, 'kernel/setup.c')).mtimeMs, old.getTime());

  assert.deepEqual(syncDir(src, dst), { copied: 0, removed: 0 }, 'second sync is a no-op');
});

test('removes stale files and directories from dst', () => {
  syncDir(src, dst);
  write(dst, 'stale.o', 'junk');
  write(dst, 'old-dir/nested/x.c', 'junk');
  rmSync(join(src, 'include/asm/page.h'));

  const r = syncDir(src, dst);
  assert.deepEqual(r, { copied: 0, removed: 3 });
  assert.equal(existsSync(join(dst, 'stale.o')), false);
  assert.equal(existsSync(join(dst, 'old-dir')), false);
  assert.equal(existsSync(join(dst, 'include/asm/page.h')), false);
  assert.equal(existsSync(join(dst, 'include/asm')), true, 'dir still exists in src');
});

test('handles a file turning into a directory and mode changes', () => {
  syncDir(src, dst);
  rmSync(join(src, 'Makefile'));
  write(src, 'Makefile/inner', 'now a dir');
  chmodSync(join(src, 'kernel/setup.c'), 0o755);

  const r = syncDir(src, dst);
  assert.deepEqual(r, { copied: 1, removed: 1 });
  assert.equal(read(dst, 'Makefile/inner'), 'now a dir');
  assert.equal(statSync(join(dst, 'kernel/setup.c')).mode & 0o777, 0o755);
});

test('rejects a missing source', () => {
  assert.throws(() => syncDir(join(work, 'nope'), dst), /not a directory/);
});
