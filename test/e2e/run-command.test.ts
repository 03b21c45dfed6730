// `wasmlinux -- CMD ARGS`: run one command in the guest like `docker run`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../../tools/build/userland.js';
import { haveBuild, initramfsPlus, ROOT, runCli } from '../helpers/guest.js';

let dir = '';
let initrd = '';

describe('wasmlinux -- CMD', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-run-'));
    const inc = { includes: [join(ROOT, 'userland/init')] };
    const headers = join(ROOT, 'build/include');
    const crt = join(ROOT, 'userland/init/crt.S');
    await buildProgram(
      join(dir, 'procs'),
      [crt, join(ROOT, 'userland/init/clone-entry.S'), join(ROOT, 'test/guest/procs.c')],
      headers,
      dir,
      { ...inc, ldflags: ['--shared-memory', '--export=__wasm_clone_entry'] },
    );
    await buildProgram(
      join(dir, 'true'),
      [crt, join(ROOT, 'bench/guest/true.c')],
      headers,
      dir,
      inc,
    );
    initrd = initramfsPlus(join(dir, 'initrd.cpio'), {
      '/bin/procs': [join(dir, 'procs'), 0o755],
      '/bin/true': [join(dir, 'true'), 0o755],
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a command found on PATH and exits with its status', async () => {
    const ok = await runCli(['--initrd', initrd, '--', 'true']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '');
  });

  it('passes arguments and shows only the command output, with plain newlines', async () => {
    const r = await runCli(['--initrd', initrd, '--', '/bin/procs', 'script-ran', 'a b  c']);
    assert.equal(r.stdout, 'script: ran with a b  c\n');
    assert.equal(r.status, 3);
  });

  it('passes standard input through, ending with EOF', async () => {
    const input = 'first line\nsecond line\n';
    const r = await runCli(['--initrd', initrd, '--', 'procs', 'cat'], { input });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, input);
  });

  it('reports death by a signal as 128 + N', async () => {
    const segv = await runCli(['--initrd', initrd, '--', 'procs', 'crash', 'segv']);
    assert.equal(segv.status, 128 + 11);
    const ill = await runCli(['--initrd', initrd, '--', 'procs', 'crash', 'ill']);
    assert.equal(ill.status, 128 + 4);
  });

  it('an unknown command gives 127 and says so', async () => {
    const r = await runCli(['--initrd', initrd, '--', 'no-such-command']);
    assert.equal(r.status, 127);
    // On stderr, which stays apart from stdout when the host's are not terminals.
    assert.match(r.stderr, /no-such-command: command not found/);
    assert.equal(r.stdout, '');
  });

  it('--verbose shows the kernel log', async () => {
    const r = await runCli(['--verbose', '--initrd', initrd, '--', 'true']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Linux version 6\.12/);
  });

  it('without a command, input that is not a terminal is a script for the shell', async () => {
    // The default system (no --initrd): like "wasmlinux -- sh" reading stdin.
    const r = await runCli([], { input: 'echo one\nuname -r\nhostname\nexit 3\n' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /^one\n6\.12\.\d+\S*\nwasmlinux\n$/);
  });
});
