// Signal handlers (arch/wasm/kernel/signal.c, musl's __wasm_sigentry): run
// on the way out of a system call, with siginfo, masks, nesting, EINTR and
// SA_RESTART, SIGCHLD, and handlers that exit or trap.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootMuslProgram, haveBuild, mustMatch, type RunResult } from '../helpers/guest.js';

let dir = '';
let result: RunResult;

/** The values on the line `name: key value key value …`. */
function nums(name: string): number[] {
  const m = mustMatch(result, new RegExp(`^${name}: (.*?)\\r?$`, 'm'));
  return (m[1] ?? '')
    .split(/\s+/)
    .filter((_, i) => i % 2 === 1)
    .map(Number);
}

describe('signal handlers', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-signals-'));
    ({ result } = await bootMuslProgram(dir, 'signals.c'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to power-off', () => {
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('a handler runs before kill() returns, with its signal blocked until it returns', () => {
    // usr1 count, blocked inside the handler, blocked after it
    assert.deepEqual(nums('kill'), [1, 1, 0]);
  });

  it('a signal raised inside a handler runs its own handler there (nested)', () => {
    // usr1 count, usr2 count, SIGUSR2 ran while in the SIGUSR1 handler, si_code SI_TKILL
    assert.deepEqual(nums('nested'), [2, 1, 1, 1]);
  });

  it('an SA_SIGINFO handler gets the sender, the code and the queued value', () => {
    // SIGUSR2 is 12; handler count; SI_QUEUE; the value; si_pid is us
    assert.deepEqual(nums('siginfo'), [12, 2, 1, 42, 1]);
  });

  it('a blocked signal stays pending, and runs when unblocked', () => {
    assert.deepEqual(nums('blocked'), [2, 1]);
    assert.deepEqual(nums('unblocked'), [3]);
  });

  it('pause() returns EINTR after a timer signal', () => {
    const m = mustMatch(result, /^pause: (-?\d+) errno (.*) alarms (\d+)\r?$/m);
    assert.equal(m[1], '-1');
    assert.equal(m[2], 'Interrupted system call');
    assert.equal(m[3], '1');
  });

  it('a blocking read fails with EINTR without SA_RESTART and is restarted with it', () => {
    const plain = mustMatch(result, /^no-restart: read (-?\d+) errno (.*) alarms (\d+) byte (.)/m);
    assert.deepEqual(plain.slice(1), ['-1', 'Interrupted system call', '1', '-']);
    const restarted = mustMatch(result, /^restart: read (-?\d+) errno (.*) alarms (\d+) byte (.)/m);
    assert.deepEqual(restarted.slice(1), ['1', '-', '1', 'x']);
  });

  it('SIGCHLD reports a vfork child that exited, and waitpid still reaps it', () => {
    assert.deepEqual(nums('sigchld'), [1, 3, 1, 1]);
  });

  it('a handler that traps kills its process with SIGILL; one that exits sets the status', () => {
    assert.deepEqual(nums('trap-in-handler'), [1, 4]);
    assert.deepEqual(nums('exit-in-handler'), [1, 55]);
  });
});
