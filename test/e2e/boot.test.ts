// The kernel boots under the Node host and runs its first user program.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { haveBuild, KERNEL, ROOT, runCli } from '../helpers/guest.js';

function kernelRelease(): string {
  // The release the guest must report: the pinned source's version plus our suffix.
  const mk = readFileSync(join(ROOT, 'tools/build/kernel-source.ts'), 'utf8');
  const m = /version: '(\d+\.\d+\.\d+)-/.exec(mk);
  assert.ok(m, 'cannot find the pinned kernel version');
  return `${m[1]}-wasm`;
}

describe('boot', { timeout: 120_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
  });

  it('boots Linux 6.12, runs /init and powers off with status 0', async () => {
    const r = await runCli(['--cmdline=-- demo']);
    assert.equal(r.timedOut, false, `timed out; output:\n${r.stdout}\n${r.stderr}`);
    assert.equal(
      r.status,
      0,
      `exit status ${r.status}; stderr:\n${r.stderr}\nstdout:\n${r.stdout}`,
    );
    const release = kernelRelease();
    assert.match(r.stdout, new RegExp(`Linux version ${release.replace(/\./g, '\\.')} `));
    assert.match(r.stdout, /Run \/init as init process/);
    assert.match(r.stdout, /^hello from userspace$/m);
    assert.match(r.stdout, new RegExp(`^uname: Linux ${release.replace(/\./g, '\\.')} wasm$`, 'm'));
    assert.match(r.stdout, /^pid: 1$/m);
    assert.match(r.stdout, /^argv\[0\]: \/init$/m);
    assert.match(r.stdout, /^file: written by init, read back by init$/m);
    assert.doesNotMatch(r.stdout, /init: .* failed/);
    assert.doesNotMatch(r.stdout, /WARNING:|BUG:|Oops/);
    // init's lines come in order, after the kernel handed over.
    const order = ['Run /init', 'hello from userspace', 'uname:', 'pid:', 'file:', 'powering off'];
    const at = order.map((s) => r.stdout.indexOf(s));
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      `out of order: ${at.join(',')}`,
    );
  });

  it('--quiet hides the kernel log but not the program', async () => {
    const r = await runCli(['--quiet', '--cmdline=-- demo']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Linux version/);
    assert.match(r.stdout, /^hello from userspace$/m);
  });

  it('passes --cmdline to the kernel', async () => {
    const r = await runCli(['--cmdline', 'wasmlinux.test=abc123 -- demo']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Kernel command line: .*wasmlinux\.test=abc123/);
  });

  it('passes standard input to the guest console', async () => {
    const r = await runCli(['--quiet', '--cmdline=-- echo-stdin'], {
      input: 'typed on the host\n',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^stdin: typed on the host\r?$/m);
  });

  it('honours --mem', async () => {
    const r = await runCli(['--mem', '64M', '--cmdline=-- demo']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wasm: 64 MiB of memory/);
  });

  it('boots the image given with --kernel', async () => {
    const r = await runCli(['--kernel', KERNEL, '--quiet', '--cmdline=-- demo']);
    assert.equal(r.status, 0, r.stderr);
  });
});
