// A program computing in a loop without system calls still shares the CPU
// and still gets its signals: wasmlinux-cc makes every loop poll a word the
// host sets (tools/wasm/preempt.ts, src/core/preempt-watchdog.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveBuild, initramfsWithPrograms, runCli } from '../helpers/guest.js';

let dir = '';
let initrd = '';

/**
 * Shell lines that start `busy ARGS` in the background with its output in
 * /tmp/busy, and wait until that output has `text` in it: the program has
 * started and is in its loop. Waiting for it rather than sleeping a fixed
 * time keeps the test right on a busy host, where starting a program can
 * take longer than any fixed time; the run's timeout ends a hang.
 */
function startBusy(args: string, text: string): string {
  return `busy ${args} > /tmp/busy & p=$!; until grep -q "${text}" /tmp/busy; do usleep 10000; done`;
}

/** Run a shell script in the guest with the busy program at /bin/busy. */
function sh(script: string): ReturnType<typeof runCli> {
  return runCli(['--initrd', initrd, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
}

describe('preempting busy programs', { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-preempt-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/busy': 'busy.c' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGKILL ends a busy loop, and the shell runs meanwhile', async () => {
    // The loop waiting for busy's line is the shell running meanwhile.
    const r = await sh(
      `${startBusy('', 'looping')}; echo shell-ran; kill -KILL $p; wait $p; echo status=$?; cat /tmp/busy`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /busy: looping\n/);
    assert.match(r.stdout, /shell-ran\n/);
    assert.match(r.stdout, /status=137\n/);
  });

  for (const [sig, num] of [
    ['INT', 2],
    ['TERM', 15],
    ['QUIT', 3],
  ] as const) {
    it(`SIG${sig} with no handler ends a busy loop (status ${128 + num})`, async () => {
      const r = await sh(
        `${startBusy('', 'looping')}; kill -${sig} $p; wait $p; echo status=$?; cat /tmp/busy`,
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`status=${128 + num}\\n`));
      assert.match(r.stdout, /busy: looping\n/);
    });
  }

  it('a handler runs inside a busy loop, which then goes on', async () => {
    // The sleep between the signals is no wait for anything: it lets the
    // loop go on after the first handler.
    const r = await sh(
      `${startBusy('handler 2', 'handlers ready')}; kill -INT $p; sleep 0.2; kill -TERM $p; wait $p; echo status=$?; cat /tmp/busy`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /busy: handlers ready\n/);
    assert.match(r.stdout, /busy: the handler ran 2 times, counter moved yes\n/);
    assert.match(r.stdout, /status=0\n/);
  });

  it('two busy loops share the CPU: their runs overlap in time', async () => {
    // Without preemption the first would finish before the second started.
    const r = await sh('busy count & busy count & wait; echo done');
    assert.equal(r.status, 0, r.stderr);
    const runs = [...r.stdout.matchAll(/busy: from (\d+) to (\d+) ms/g)].map((m) => ({
      from: Number(m[1]),
      to: Number(m[2]),
    }));
    assert.equal(runs.length, 2, r.stdout);
    const [a, b] = runs as [{ from: number; to: number }, { from: number; to: number }];
    assert.ok(Math.max(a.from, b.from) < Math.min(a.to, b.to), `no overlap: ${r.stdout}`);
    assert.match(r.stdout, /done\n/);
  });

  it('SIGSTOP and SIGCONT stop and resume a busy loop', async () => {
    // The loop stops once it next polls, which takes longer on a busy host:
    // wait for ps to show it stopped. SIGCONT makes it runnable at once.
    const r = await sh(
      [
        startBusy('', 'looping'),
        'kill -STOP $p',
        'until ps -o pid,stat | grep -q "^ *$p  *T"; do usleep 10000; done',
        'ps -o pid,stat | grep "^ *$p "',
        'kill -CONT $p',
        'ps -o pid,stat | grep "^ *$p "',
        'kill -KILL $p; wait $p; echo status=$?',
      ].join('; '),
    );
    assert.equal(r.status, 0, r.stderr);
    const states = [...r.stdout.matchAll(/^\s*\d+\s+(\S+)/gm)].map((m) => m[1]);
    assert.equal(states.length, 2, r.stdout);
    assert.match(states[0] ?? '', /^T/);
    assert.match(states[1] ?? '', /^R/);
    assert.match(r.stdout, /status=137\n/);
  });
});
