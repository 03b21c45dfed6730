// musl's vfork on Asyncify (docs/vfork.md): wasmlinux-cc finds that the
// program uses vfork and instruments what leads to it, including calls
// through function pointers.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootMuslProgram, haveBuild, mustMatch, type RunResult } from '../helpers/guest.js';

let dir = '';
let prog = '';
let result: RunResult;

describe('musl vfork', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-mvfork-'));
    ({ prog, result } = await bootMuslProgram(dir, 'musl-vfork.c'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('wasmlinux-cc ran Asyncify: the asyncify imports are gone, its exports are there', () => {
    const mod = new WebAssembly.Module(readFileSync(prog));
    const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
    // linux.longjmp: every system call can throw on a signal handler's jump.
    assert.deepEqual(imports.sort(), ['env.memory', 'linux.longjmp', 'linux.syscall']);
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    assert.ok(exports.includes('asyncify_start_unwind'), exports.join(' '));
  });

  it('runs to power-off', () => {
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('the parent gets the exit status and sees what the child changed in memory', () => {
    const m = mustMatch(result, /^direct: status (\d+) shared (\d+) local (\d+)/m);
    assert.deepEqual(m.slice(1), ['42', '1', '100']);
  });

  it('vfork reached through a function pointer works (the call-graph plan found it)', () => {
    const m = mustMatch(result, /^table: echo (\d+) exit (\d+)/m);
    assert.deepEqual(m.slice(1), ['5', '7']);
    assert.match(result.stdout, /^echo: via-table pid \d+ ppid 1\r?$/m);
  });

  it('a failed exec in the child reaches the parent as status 127 and the errno', () => {
    const m = mustMatch(result, /^exec-fails: status (\d+) errno (.*?)\r?$/m);
    assert.deepEqual(m.slice(1), ['127', 'No such file or directory']);
  });

  it('vfork works from 40 frames deep, and nested in a vfork child', () => {
    assert.equal(mustMatch(result, /^deep: status (\d+)/m)[1], '9');
    assert.equal(mustMatch(result, /^nested: status (\d+)/m)[1], '25');
    assert.match(result.stdout, /^echo: grandchild pid \d+ ppid \d+\r?$/m);
  });

  it('200 vforks in a row all work and leave the stack where it was', () => {
    const m = mustMatch(result, /^loop: failures (\d+) shared (\d+) frame-same (\d)/m);
    assert.deepEqual(m.slice(1), ['0', '206', '1']);
  });
});
