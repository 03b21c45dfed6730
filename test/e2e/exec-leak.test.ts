// Every exec makes a process memory; exited processes must give theirs
// back. 10,000 spawns of `sh -c /bin/true` (the shell's memory grows, as
// nearly every BusyBox process's does, then it execs true: 20,000 execs) in
// one boot, with the host process's address space and resident memory
// measured after a warm-up and again at the end.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, haveBuild, initramfsWithPrograms } from '../helpers/guest.js';

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
      const child = spawn(
        process.execPath,
        [
          CLI,
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
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      const waiters: (() => void)[] = [];
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        for (const w of waiters.splice(0)) w();
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const waitFor = async (re: RegExp): Promise<RegExpExecArray> => {
        for (;;) {
          const m = re.exec(stdout);
          if (m) return m;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`the guest stopped before ${re}:\n${stdout}\n${stderr}`);
          await new Promise<void>((r) => waiters.push(r));
        }
      };
      try {
        const warm = await waitFor(/^warm (\d+)$/m);
        assert.equal(warm[1], '0', `spawns failed during the warm-up:\n${stdout}\n${stderr}`);
        const before = hostMemory(child.pid ?? 0);
        child.stdin.write('go\n');
        const done = await waitFor(/^done bad (\d+) .*$/m);
        const afterAll = hostMemory(child.pid ?? 0);
        child.stdin.end();
        assert.equal(done[1], '0', `spawns failed: ${done[0]}\n${stderr}`);
        assert.equal(await exited, 0, stderr);
        const grewVm = (afterAll.vmKiB - before.vmKiB) / GiB;
        const grewRss = (afterAll.rssKiB - before.rssKiB) / 1024;
        console.log(
          `host VmSize ${(before.vmKiB / GiB).toFixed(0)} -> ${(afterAll.vmKiB / GiB).toFixed(0)} GiB, ` +
            `VmRSS ${(before.rssKiB / 1024).toFixed(0)} -> ${(afterAll.rssKiB / 1024).toFixed(0)} MiB`,
        );
        // A leaked memory reserves about 10 GiB of address space: 18,000 of
        // them would be 175 TiB. Allow a few dozen for what a garbage
        // collection has not reached yet.
        assert.ok(grewVm < 200, `VmSize grew by ${grewVm.toFixed(0)} GiB over ${2 * COUNT} execs`);
        assert.ok(grewRss < 256, `VmRSS grew by ${grewRss.toFixed(0)} MiB over ${2 * COUNT} execs`);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );
});
