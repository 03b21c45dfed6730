// Every exec makes a process memory; exited processes must give theirs
// back. 10,000 spawns of `sh -c /bin/true` (the shell's memory grows, as
// nearly every BusyBox process's does, then it execs true: 20,000 execs) in
// one boot, with the host process's address space and resident memory
// measured after a warm-up and again at the end.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { haveBuild, initramfsWithPrograms, startCli } from '../helpers/guest.js';

const WARMUP = 1000;
const COUNT = 9000;

interface HostMemory {
  vmKiB: number;
  rssKiB: number;
}

function hostMemory(pid: number): HostMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m?.[1]) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { vmKiB: field('VmSize'), rssKiB: field('VmRSS') };
}

const GiB = 1024 * 1024;

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmlinux-exec-leak-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('exec and process memory', { skip: !haveBuild() && 'run `npm run build` first' }, () => {
  test(
    `${2 * (WARMUP + COUNT)} execs in one boot leave host memory flat`,
    { timeout: 600_000 },
    async () => {
      const initrd = await initramfsWithPrograms(dir, { '/bin/exec-many': 'exec-many.c' });
      const run = startCli(
        [
          '--quiet',
          '--initrd',
          initrd,
          '--',
          '/bin/exec-many',
          `${WARMUP}`,
          `${COUNT}`,
          '/bin/sh',
          '-c',
          '/bin/true',
        ],
        { timeoutMs: 590_000 },
      );
      // Generous: a hang must fail the test, a slow machine must not.
      const warm = await run.waitForStdout(/^warm (\d+)$/m, 300_000);
      assert.equal(warm[1], '0', `spawns failed during the warm-up:\n${run.stdout()}`);
      const before = hostMemory(run.pid ?? 0);
      run.write('go\n');
      const done = await run.waitForStdout(/^done bad (\d+) .*$/m, 580_000);
      const afterAll = hostMemory(run.pid ?? 0);
      const r = await run.finish();
      assert.equal(done[1], '0', `spawns failed: ${done[0]}\n${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      const grewVm = (afterAll.vmKiB - before.vmKiB) / GiB;
      const grewRss = (afterAll.rssKiB - before.rssKiB) / 1024;
      console.log(
        `host VmSize ${(before.vmKiB / GiB).toFixed(0)} -> ${(afterAll.vmKiB / GiB).toFixed(0)} GiB, ` +
          `VmRSS ${(before.rssKiB / 1024).toFixed(0)} -> ${(afterAll.rssKiB / 1024).toFixed(0)} MiB`,
      );
      // A leaked memory reserves about 10 GiB of address space: one per
      // exec would be 175 TiB here. Allow a few dozen for what a garbage
      // collection has not reached yet.
      assert.ok(grewVm < 200, `VmSize grew by ${grewVm.toFixed(0)} GiB over ${2 * COUNT} execs`);
      assert.ok(grewRss < 256, `VmRSS grew by ${grewRss.toFixed(0)} MiB over ${2 * COUNT} execs`);
    },
  );
});
