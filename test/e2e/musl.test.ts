// A C program on musl, built with bin/wasmlinux-cc, runs as /init: what it
// computes in the guest (formatted numbers, a hash of memory it allocated,
// file contents it wrote and read back, uname, the time) must match what this
// test computes on the host, and every check it makes itself must pass.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeCpio } from '../../src/core/cpio.js';
import { entriesFromSpec } from '../../tools/initramfs/from-spec.js';
import { compileGuestProgram } from '../../tools/build/guest-cc.js';
import { LINUX_SOURCE } from '../../tools/build/kernel-source.js';
import { haveBuild, ROOT, runCli, type RunResult } from '../helpers/guest.js';

const SOURCE = join(ROOT, 'test/guest/musl-hello.c');
const WASMLINUX_CC = join(ROOT, 'bin/wasmlinux-cc');
const SYSROOT = join(ROOT, 'build/sysroot');
const BOOT_MS = 60_000;

/** The checks musl-hello.c reports as PASS/FAIL lines. */
const CHECKS = [
  'malloc-4M',
  'realloc-12M',
  'realloc-tail',
  'calloc',
  'small-blocks',
  'sbrk',
  'malloc-32M',
  'malloc-32M-again',
  'fopen-w',
  'fclose',
  'fopen-r',
  'enoent',
  'remove',
  'uname',
  'clock-realtime',
  'clock-monotonic',
  'strtol-dec',
  'strtol-hex',
  'strtol-oct',
  'strtol-range',
  'qsort',
  'snprintf-trunc',
  'snprintf-len',
];

let dir = '';

/** The guest's generator (musl-hello.c's rng): a 32-bit LCG, 24 bits out. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) & 0xffffff;
  };
}

function fnv1a(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h >>> 0;
}

/** What follows `name: ` on the guest's line of that name. */
function field(out: string, name: string): string {
  const line = out.split('\n').find((l) => l.startsWith(`${name}: `));
  assert.ok(line !== undefined, `no "${name}:" line in the guest's output:\n${out}`);
  return line.slice(name.length + 2);
}

function initramfsWith(prog: string, name: string): string {
  const cpio = join(dir, `${name}.cpio`);
  const entries = entriesFromSpec([
    { path: '/dev', type: 'dir', mode: 0o755 },
    { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
    { path: '/tmp', type: 'dir', mode: 0o1777 },
    { path: '/init', type: 'file', mode: 0o755, source: prog },
  ]);
  writeFileSync(cpio, writeCpio(entries));
  return cpio;
}

/** Everything the test knows about a correct run of musl-hello; throws on the first mismatch. */
function checkResults(r: RunResult): void {
  // The console is a tty: it turns \n into \r\n.
  const out = r.stdout.replace(/\r\n/g, '\n');
  assert.equal(r.timedOut, false, 'the guest did not finish');

  const fails = out.split('\n').filter((l) => l.startsWith('FAIL '));
  assert.deepEqual(fails, [], 'checks failed in the guest');
  for (const name of CHECKS) assert.ok(out.includes(`PASS ${name}\n`), `no PASS ${name}`);
  assert.equal(field(out, 'summary'), `pass=${CHECKS.length} fail=0`);

  assert.equal(field(out, 'args'), 'argc=1 argv0=/init');

  let a = 0n;
  let b = 1n;
  for (let i = 0; i < 90; i++) [a, b] = [b, a + b];
  assert.equal(field(out, 'fib90'), `${a} 0x${a.toString(16)}`);

  let h = 0;
  for (let i = 1; i <= 1000; i++) h += 1 / i;
  const [h17, h10] = field(out, 'harmonic1000').split(' ');
  assert.equal(Number(h17), h, 'printf %.17g must round-trip the double');
  assert.equal(h10, h.toFixed(10));
  assert.equal(Number(field(out, 'strtod')), Number('3.14159265358979323846'));
  // binary128 long double: 1/3 and 2/3 are exact to well past 30 digits.
  assert.equal(field(out, 'ldouble'), `0.${'3'.repeat(30)} 0.${'6'.repeat(29)}7`);
  const ints = [
    `+${42}`,
    `-${String(42).padStart(4, '0')}`,
    'ab'.padEnd(6),
    (511).toString(8),
    (48879).toString(16).toUpperCase(),
  ];
  assert.equal(field(out, 'ints'), ints.map((s) => `[${s}]`).join(' '));

  const next = lcg(1);
  const mem = new Uint8Array(4 << 20);
  for (let i = 0; i < mem.length; i++) mem[i] = next() & 0xff;
  assert.equal(field(out, 'memhash'), fnv1a(mem).toString(16).padStart(8, '0'));

  let sum = 0;
  let size = 0;
  for (let i = 1; i <= 100; i++) {
    sum += i ** 3;
    size += `line ${i} value ${i ** 3}\n`.length;
  }
  assert.equal(field(out, 'file'), `lines=100 sum=${sum} size=${size}`);

  const [sysname, release, machine] = field(out, 'uname').split(' ');
  assert.equal(sysname, 'Linux');
  const upstream = LINUX_SOURCE.version.split('-')[0] ?? '';
  assert.ok(release?.startsWith(upstream), `uname release ${release} is not ${upstream}`);
  assert.equal(machine, 'wasm');
  assert.equal(field(out, 'pid'), '1 ppid: 0');

  const realtime = Number(field(out, 'realtime'));
  assert.ok(
    Math.abs(realtime - Date.now() / 1000) < 300,
    `guest time ${realtime} is not the host's ${Date.now() / 1000}`,
  );
  const t = new Date(1700000000 * 1000);
  const yday = (t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86400000;
  assert.equal(field(out, 'gmtime'), `${t.toISOString().slice(0, 19)} yday=${Math.floor(yday)}`);

  const rand = lcg(7);
  const v = Array.from({ length: 1000 }, rand);
  const total = v.reduce((x, y) => x + y, 0);
  v.sort((x, y) => x - y);
  assert.equal(field(out, 'qsort'), `min=${v[0]} median=${v[500]} max=${v[999]} sum=${total}`);

  assert.equal(r.status, 0, `the guest did not power off cleanly:\n${r.stderr}`);
}

describe('musl', { timeout: 240_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    assert.ok(existsSync(join(SYSROOT, 'lib/libc.a')), 'no musl sysroot: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-musl-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('musl-hello built with bin/wasmlinux-cc computes what the host computes', async () => {
    const prog = join(dir, 'musl-hello');
    const cc = spawnSync(WASMLINUX_CC, ['-O2', '-Wall', '-Werror', '-o', prog, SOURCE], {
      encoding: 'utf8',
    });
    assert.equal(cc.status, 0, `wasmlinux-cc failed:\n${cc.stderr}`);
    const r = await runCli(['--initrd', initramfsWith(prog, 'hello'), '--quiet'], {
      timeoutMs: BOOT_MS,
    });
    checkResults(r);
  });

  it('a failing check in the guest fails the test', async () => {
    const prog = join(dir, 'musl-hello-fail');
    await compileGuestProgram(prog, [SOURCE], { cflags: ['-O2', '-DFORCE_FAIL'] });
    const r = await runCli(['--initrd', initramfsWith(prog, 'fail'), '--quiet'], {
      timeoutMs: BOOT_MS,
    });
    assert.match(r.stdout, /^FAIL forced: built with -DFORCE_FAIL$/m);
    // init exits 1 instead of powering off: the kernel panics, the CLI exits 1.
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Attempted to kill init! exitcode=0x00000100/);
    assert.throws(() => checkResults(r), /checks failed in the guest/);
  });

  it('wasmlinux-cc reports bad input clearly', () => {
    const bad = join(dir, 'bad.c');
    writeFileSync(bad, 'int main(void) { return missing; }\n');
    const r = spawnSync(WASMLINUX_CC, ['-o', join(dir, 'bad'), bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.c:1:25: error: use of undeclared identifier 'missing'/);
    assert.match(r.stderr, /wasmlinux-cc: clang-19 failed/);

    const opt = spawnSync(WASMLINUX_CC, ['--frobnicate', bad], { encoding: 'utf8' });
    assert.equal(opt.status, 1);
    assert.match(opt.stderr, /unsupported option --frobnicate/);

    const missing = spawnSync(WASMLINUX_CC, ['-o', join(dir, 'x'), join(dir, 'nope.c')], {
      encoding: 'utf8',
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.c/);
  });
});
