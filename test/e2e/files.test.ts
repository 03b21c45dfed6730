// Files, devices, pipes and time as a process sees them: /proc, devtmpfs,
// /dev/null, /dev/zero, /dev/urandom, pipes across processes, poll, sleep.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildGuestProgram,
  haveBuild,
  ROOT,
  runCli,
  writeInitramfs,
  type RunResult,
} from '../helpers/guest.js';

let dir = '';
let result: RunResult;

/** The value printed after "label: " on its own line. */
function value(label: string): string {
  const m = new RegExp(`^${label}: (.*?)\\r?$`, 'm').exec(result.stdout);
  assert.ok(m, `no "${label}:" line in:\n${result.stdout}`);
  return m[1]!;
}

describe('files, devices, pipes, time', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-files-'));
    const prog = await buildGuestProgram({
      dir,
      name: 'files',
      sources: [join(ROOT, 'test/guest/files.c')],
      clones: true,
    });
    const cpio = writeInitramfs(join(dir, 'files.cpio'), prog);
    result = await runCli(['--quiet', '--initrd', cpio]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to power-off', () => {
    assert.equal(result.timedOut, false);
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('/proc and devtmpfs mount; /proc/version and /proc/self/status are right', () => {
    assert.equal(value('mount proc'), '0');
    assert.equal(value('mount devtmpfs'), '0');
    const pinned = /version: '(\d+\.\d+\.\d+)-/.exec(
      readFileSync(join(ROOT, 'tools/build/kernel-source.ts'), 'utf8'),
    );
    assert.ok(pinned);
    assert.match(
      value('version'),
      new RegExp(`^Linux version ${pinned[1]!.replace(/\./g, '\\.')}-wasm `),
    );
    assert.equal(value('status pid'), value('getpid'));
    assert.equal(value('status name'), 'init');
  });

  it('/dev/null swallows, /dev/zero gives zeros, /dev/urandom gives fresh bytes', () => {
    assert.equal(value('null'), 'write 10 read 0');
    assert.equal(value('zero'), 'read 64 nonzero 0');
    const [a, b] = value('urandom').split(' ');
    assert.match(a!, /^[0-9a-f]{64}$/);
    assert.match(b!, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
    assert.notEqual(a, '0'.repeat(64));
  });

  it('pipes carry data within and across processes; poll sees it; EOF after the writers close', () => {
    assert.equal(value('pipe2'), '0');
    assert.equal(value('poll'), '1 revents 1'); // POLLIN
    assert.equal(value('pipe read'), 'ping');
    assert.equal(value('dup3'), '5');
    assert.equal(value('writer status'), '0');
    assert.equal(value('from child'), 'hello through a pipe');
    assert.equal(value('after eof'), '0');
  });

  it('clock_nanosleep sleeps for the time asked', () => {
    const m = /^0 slept_ms (\d+)$/.exec(value('sleep'));
    assert.ok(m, value('sleep'));
    const ms = Number(m[1]);
    assert.ok(ms >= 50 && ms < 1000, `slept ${ms} ms`);
  });
});
