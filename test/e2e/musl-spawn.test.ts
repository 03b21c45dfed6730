// posix_spawn through musl: clone(CLONE_VM|CLONE_VFORK) into a fresh
// instance of the program, file actions, exec, and errors from the child.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootMuslProgram, haveBuild, mustMatch, type RunResult } from '../helpers/guest.js';

let dir = '';
let result: RunResult;

function line(re: RegExp): RegExpExecArray {
  return mustMatch(result, re);
}

describe('musl posix_spawn', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-mspawn-'));
    ({ result } = await bootMuslProgram(dir, 'musl-spawn.c'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to power-off', () => {
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('spawns a child whose stdout goes into a pipe, and reaps its exit status', () => {
    const m = line(/^spawn: rc (-?\d+) pid (\d+) exited (\d) status (\d+)\r?$/m);
    assert.equal(m[1], '0');
    const pid = Number(m[2]);
    assert.ok(pid > 1);
    assert.equal(m[3], '1');
    assert.equal(m[4], '5');
    // What the child printed came through the pipe, not the console.
    assert.match(
      result.stdout,
      new RegExp(`^piped: child: pid ${pid} ppid 1 arg via-pipe\\r?$`, 'm'),
    );
    assert.doesNotMatch(result.stdout, /^child:/m);
  });

  it('reports a missing program as ENOENT', () => {
    assert.equal(line(/^missing: rc (\d+) enoent (\d)\r?$/m)[2], '1');
  });
});
