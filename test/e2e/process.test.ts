// Processes without fork: a clone()d child shares its parent's memory and
// runs in a fresh instance of the same program; wait4 reaps it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildGuestProgram, haveBuild, ROOT, runCli, writeInitramfs } from '../helpers/guest.js';

let dir = '';

async function cloneInitramfs(shared: boolean): Promise<string> {
  const name = shared ? 'clone-shared' : 'clone-private';
  const prog = await buildGuestProgram({
    dir,
    name,
    sources: [join(ROOT, 'test/guest/clone.c')],
    clones: shared,
  });
  return writeInitramfs(join(dir, `${name}.cpio`), prog);
}

function field(out: string, re: RegExp): number {
  const m = re.exec(out);
  assert.ok(m, `no match for ${re} in:\n${out}`);
  return Number(m[1]);
}

describe('processes', { timeout: 120_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-proc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('clone(CLONE_VM|CLONE_VFORK) runs children on the shared memory; exec and wait4 work', async () => {
    const r = await runCli(['--quiet', '--initrd', await cloneInitramfs(true)]);
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const out = r.stdout;
    assert.equal(field(out, /^parent: pid (\d+)/m), 1);

    const rounds = [
      ...out.matchAll(/^parent: clone returned (\d+), child saw pid (\d+), shared word (\d+)/gm),
    ];
    const waits = [...out.matchAll(/^parent: wait4 returned (\d+) status (\d+)/gm)];
    assert.equal(rounds.length, 2, out);
    assert.equal(waits.length, 2, out);
    const [a, b] = rounds.map((m) => Number(m[1]));
    assert.ok(a! > 1 && b! > a!, `pids ${a} ${b}`);
    for (const m of rounds) {
      // The parent sees the pid its child got, and what the child wrote.
      assert.equal(Number(m[2]), Number(m[1]));
      assert.equal(Number(m[3]), 0x5eed);
    }
    // First child: exit(42). Second child: execve, and the new program exit(7).
    assert.deepEqual(
      waits.map((m) => [Number(m[1]), Number(m[2])]),
      [
        [a, 42 << 8],
        [b, 7 << 8],
      ],
    );
    assert.equal(field(out, new RegExp(`^child: pid ${a} ppid (\\d+)`, 'm')), 1);
    // The exec'd program is the same process (pid), with the new argv and env.
    assert.match(out, new RegExp(`^exec'd: pid ${b} ppid 1 env WHO=exec-test$`, 'm'));
    assert.equal(field(out, /wait4 again (-?\d+)/), -10); // -ECHILD
  });

  it('a clone of a program whose memory is not shared fails with EAGAIN', async () => {
    const r = await runCli(['--quiet', '--initrd', await cloneInitramfs(false)]);
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    // No second instance can run on a private memory: the clone fails
    // (-EAGAIN) instead of starting a child that could only die.
    const fails = [...r.stdout.matchAll(/^parent: clone failed: (-?\d+)$/gm)];
    assert.equal(fails.length, 2, r.stdout);
    for (const m of fails) assert.equal(Number(m[1]), -11);
    assert.doesNotMatch(r.stdout, /^child:/m);
  });
});
