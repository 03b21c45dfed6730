// Tests for the newc cpio writer and the initramfs spec builder. The
// archive is checked structurally and by extracting it with GNU cpio.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CpioError, writeCpio, type CpioEntry } from '../../src/core/cpio.js';
import { entriesFromSpec, parseSpec } from '../../tools/initramfs/from-spec.js';

const haveCpio = spawnSync('cpio', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;
const CPIO_SKIP = haveCpio
  ? false
  : 'GNU cpio not installed (apt-get install cpio): skipping extraction tests';

const MTIME = 1_700_000_000;
const BIN = Uint8Array.from({ length: 13 }, (_, i) => (i * 37 + 1) & 0xff); // not a multiple of 4

const ENTRIES: CpioEntry[] = [
  { type: 'dir', path: 'etc', mode: 0o755, mtime: MTIME },
  {
    type: 'file',
    path: 'etc/hello.txt',
    mode: 0o640,
    uid: 1000,
    gid: 100,
    mtime: MTIME,
    data: new TextEncoder().encode('hello, initramfs\n'),
  },
  { type: 'dir', path: 'a', mode: 0o755, mtime: MTIME },
  { type: 'dir', path: 'a/b', mode: 0o700, mtime: MTIME },
  { type: 'dir', path: 'a/b/c', mode: 0o751, mtime: MTIME },
  { type: 'file', path: 'a/b/c/data.bin', mode: 0o4755, mtime: MTIME, data: BIN },
  { type: 'file', path: 'a/empty', mode: 0o600, mtime: MTIME, data: new Uint8Array(0) },
  { type: 'dir', path: 'bin', mode: 0o755, mtime: MTIME },
  { type: 'symlink', path: 'bin/sh', mode: 0o777, mtime: MTIME, target: '../a/b/c/data.bin' },
  { type: 'dir', path: 'dev', mode: 0o755, mtime: MTIME },
  { type: 'char', path: 'dev/console', mode: 0o600, mtime: MTIME, major: 5, minor: 1 },
  { type: 'block', path: 'dev/vda', mode: 0o660, mtime: MTIME, major: 254, minor: 300 },
];

/** Linux dev_t encoding (glibc gnu_dev_major/minor). */
function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

const ascii = new TextDecoder('latin1');

describe('writeCpio format', () => {
  test('newc headers, 4-byte padding and trailer', () => {
    const a = writeCpio(ENTRIES);
    assert.equal(a.length % 4, 0);
    // Walk the members by hand, as the kernel's unpacker does.
    let at = 0;
    const names: string[] = [];
    const inodes = new Set<number>();
    for (;;) {
      const hdr = ascii.decode(a.subarray(at, at + 110));
      assert.equal(hdr.slice(0, 6), '070701', `magic at ${at}`);
      const field = (i: number): number => parseInt(hdr.slice(6 + i * 8, 14 + i * 8), 16);
      const nameSize = field(11);
      const fileSize = field(6);
      const name = ascii.decode(a.subarray(at + 110, at + 110 + nameSize - 1));
      assert.equal(a[at + 110 + nameSize - 1], 0, 'name is NUL-terminated');
      assert.equal(field(12), 0, 'check field is 0');
      names.push(name);
      if (name === 'TRAILER!!!') {
        assert.equal(fileSize, 0);
        at += Math.ceil((110 + nameSize) / 4) * 4;
        break;
      }
      assert.ok(!inodes.has(field(0)) && field(0) !== 0, 'unique non-zero inode');
      inodes.add(field(0));
      const dataAt = Math.ceil((at + 110 + nameSize) / 4) * 4;
      at = Math.ceil((dataAt + fileSize) / 4) * 4;
    }
    assert.equal(at, a.length, 'trailer is last');
    assert.deepEqual(names, [...ENTRIES.map((e) => e.path), 'TRAILER!!!']);
  });

  test('empty archive is just a trailer', () => {
    const a = writeCpio([]);
    assert.equal(ascii.decode(a.subarray(110, 120)), 'TRAILER!!!');
    assert.equal(a.length, 124);
  });

  test('rejects bad names, modes and ids', () => {
    const file = (path: string): CpioEntry => ({
      type: 'file',
      path,
      mode: 0o644,
      data: new Uint8Array(1),
    });
    for (const bad of [
      '',
      '/etc/passwd',
      '../x',
      'a/../b',
      'a/..',
      'a\0b',
      'a//b',
      'a/',
      './a',
      'TRAILER!!!',
    ]) {
      assert.throws(() => writeCpio([file(bad)]), CpioError, `path ${JSON.stringify(bad)}`);
    }
    assert.throws(() => writeCpio([file('x'), file('x')]), /duplicate path "x"/);
    assert.throws(() => writeCpio([{ ...file('x'), mode: 0o10644 }]), /outside 0o7777/);
    assert.throws(() => writeCpio([{ ...file('x'), uid: -1 }]), /uid -1/);
    assert.throws(() => writeCpio([{ ...file('x'), mtime: 2 ** 32 }]), /mtime/);
    assert.throws(
      () => writeCpio([{ type: 'char', path: 'c', mode: 0o600, major: 1.5, minor: 0 }]),
      /major/,
    );
    assert.throws(
      () => writeCpio([{ type: 'symlink', path: 's', mode: 0o777, target: '' }]),
      /non-empty target/,
    );
  });
});

describe('extraction with GNU cpio', { skip: CPIO_SKIP }, () => {
  let dir = '';
  let out = '';
  let archive: Uint8Array = new Uint8Array(0);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpio-test-'));
    out = join(dir, 'root');
    mkdirSync(out);
    archive = writeCpio(ENTRIES);
    writeFileSync(join(dir, 'initramfs.cpio'), archive);
    const r = spawnSync('cpio', ['-idmv', '--no-absolute-filenames'], {
      cwd: out,
      input: archive,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `cpio -i failed: ${r.stderr}`);
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('cpio -t lists members in archive order', () => {
    const r = spawnSync('cpio', ['-t'], { input: archive, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.stdout.trim().split('\n'),
      ENTRIES.map((e) => e.path),
    );
  });

  test('files, directories and modes', () => {
    assert.equal(readFileSync(join(out, 'etc/hello.txt'), 'utf8'), 'hello, initramfs\n');
    assert.deepEqual(new Uint8Array(readFileSync(join(out, 'a/b/c/data.bin'))), BIN);
    assert.equal(readFileSync(join(out, 'a/empty')).length, 0);
    for (const e of ENTRIES) {
      if (e.type === 'symlink') continue;
      const st = lstatSync(join(out, e.path));
      assert.equal(st.mode & 0o7777, e.mode, `mode of ${e.path}`);
      if (e.type === 'dir') assert.ok(st.isDirectory(), e.path);
      if (e.type === 'file') {
        assert.ok(st.isFile(), e.path);
        assert.equal(Math.round(st.mtimeMs / 1000), MTIME, `mtime of ${e.path}`);
      }
    }
  });

  test('ownership is preserved (root only)', { skip: isRoot ? false : 'not root' }, () => {
    const st = statSync(join(out, 'etc/hello.txt'));
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 100);
  });

  test('symlink target', () => {
    assert.ok(lstatSync(join(out, 'bin/sh')).isSymbolicLink());
    assert.equal(readlinkSync(join(out, 'bin/sh')), '../a/b/c/data.bin');
  });

  test('device nodes (root only)', { skip: isRoot ? false : 'mknod needs root' }, () => {
    const console = lstatSync(join(out, 'dev/console'));
    assert.ok(console.isCharacterDevice());
    assert.equal(devMajor(console.rdev), 5);
    assert.equal(devMinor(console.rdev), 1);
    const vda = lstatSync(join(out, 'dev/vda'));
    assert.ok(vda.isBlockDevice());
    assert.equal(devMajor(vda.rdev), 254);
    assert.equal(devMinor(vda.rdev), 300);
  });
});

describe('entriesFromSpec', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'initramfs-spec-'));
    writeFileSync(join(dir, 'init.sh'), '#!/bin/sh\necho hi\n');
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('parents come first; explicit dirs keep their mode; files are read from disk', () => {
    const spec = parseSpec([
      { path: '/sbin/init', type: 'file', mode: '0755', source: 'init.sh' },
      { path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
      { path: 'dev', type: 'dir', mode: 0o700 },
      { path: 'usr/lib/x/link', type: 'symlink', mode: 0o777, target: '/sbin/init' },
    ]);
    const entries = entriesFromSpec(spec, { baseDir: dir, mtime: 42 });
    assert.deepEqual(
      entries.map((e) => `${e.type}:${e.path}`),
      [
        'dir:sbin',
        'file:sbin/init',
        'dir:dev',
        'char:dev/console',
        'dir:usr',
        'dir:usr/lib',
        'dir:usr/lib/x',
        'symlink:usr/lib/x/link',
      ],
    );
    const dev = entries.find((e) => e.path === 'dev');
    assert.equal(dev?.mode, 0o700);
    const init = entries.find((e) => e.path === 'sbin/init');
    assert.ok(init?.type === 'file');
    assert.equal(new TextDecoder().decode(init.data), '#!/bin/sh\necho hi\n');
    assert.equal(init.mode, 0o755);
    assert.ok(entries.every((e) => e.mtime === 42));
    writeCpio(entries); // the result is a valid archive
  });

  test('missing host file names the file', () => {
    const spec = parseSpec([
      { path: 'bin/busybox', type: 'file', mode: 0o755, source: 'no-such-busybox' },
    ]);
    assert.throws(
      () => entriesFromSpec(spec, { baseDir: dir }),
      (e: unknown) => {
        assert.ok(e instanceof CpioError);
        assert.match(e.message, /no-such-busybox/);
        assert.match(e.message, /bin\/busybox/);
        assert.match(e.message, /ENOENT/);
        return true;
      },
    );
  });

  test('inconsistent specs are rejected', () => {
    assert.throws(
      () =>
        entriesFromSpec(
          parseSpec([
            { path: 'etc', type: 'file', mode: 0o644, source: 'init.sh' },
            { path: 'etc/passwd', type: 'file', mode: 0o644, source: 'init.sh' },
          ]),
          { baseDir: dir },
        ),
      /"etc" is a file but "etc\/passwd" is inside it/,
    );
    assert.throws(
      () =>
        entriesFromSpec(
          parseSpec([
            { path: 'x', type: 'dir', mode: 0o755 },
            { path: '/x', type: 'dir', mode: 0o755 },
          ]),
        ),
      /listed twice/,
    );
    assert.throws(
      () => entriesFromSpec(parseSpec([{ path: 'a/../b', type: 'dir', mode: 0o755 }])),
      /'\.\.'/,
    );
    assert.throws(
      () => entriesFromSpec(parseSpec([{ path: 'l', type: 'symlink', mode: 0o777 }])),
      /has no "target"/,
    );
    assert.throws(
      () => parseSpec([{ path: 'x', type: 'fifo', mode: 0o644 }]),
      /type must be one of/,
    );
    assert.throws(() => parseSpec([{ path: 'x', type: 'dir', mode: '0999' }]), /mode must be/);
  });
});
