// Bad input never hangs or crashes the host: each case ends quickly with a
// clear message and a defined exit status.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeCpio } from '../../src/core/cpio.js';
import { entriesFromSpec } from '../../tools/initramfs/from-spec.js';
import { buildProgram } from '../../tools/build/userland.js';
import { haveBuild, INITRAMFS, KERNEL, ROOT, runCli } from '../helpers/guest.js';

const SECONDS = 15_000;
let dir = '';

/** An initramfs whose /init is the given C program, built with the real toolchain. */
async function initramfsWith(name: string, csource: string): Promise<string> {
  const src = join(dir, `${name}.c`);
  const prog = join(dir, name);
  writeFileSync(src, csource);
  await buildProgram(
    prog,
    [join(ROOT, 'userland/init/crt.S'), src],
    join(ROOT, 'build/include'),
    dir,
  );
  const cpio = join(dir, `${name}.cpio`);
  const entries = entriesFromSpec([
    { path: '/dev', type: 'dir', mode: 0o755 },
    { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
    { path: '/init', type: 'file', mode: 0o755, source: prog },
  ]);
  writeFileSync(cpio, writeCpio(entries));
  return cpio;
}

const START = `
void __wasm_start_c(long *sp);
int main(void);
void __wasm_start_c(long *sp) { (void)sp; main(); }
`;

describe('bad input', { timeout: 120_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bad-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a truncated kernel image is refused before boot', async () => {
    const bad = join(dir, 'truncated.wasm');
    const img = readFileSync(KERNEL);
    writeFileSync(bad, img.subarray(0, Math.floor(img.length / 3)));
    const r = await runCli(['--kernel', bad], { timeoutMs: SECONDS });
    assert.equal(r.timedOut, false);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a valid WebAssembly module/);
  });

  it('a kernel image with corrupt code is refused before boot', async () => {
    const bad = join(dir, 'corrupt.wasm');
    const img = Buffer.from(readFileSync(KERNEL));
    // Overwrite a stretch in the middle of the code section with invalid opcodes.
    const mid = Math.floor(img.length / 2);
    img.fill(0xff, mid, mid + 64);
    writeFileSync(bad, img);
    const r = await runCli(['--kernel', bad], { timeoutMs: SECONDS });
    assert.equal(r.timedOut, false);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not a valid WebAssembly module/);
  });

  it('a file that is not wasm at all is refused', async () => {
    const bad = join(dir, 'text.wasm');
    writeFileSync(bad, 'this is not a kernel\n');
    const r = await runCli(['--kernel', bad], { timeoutMs: SECONDS });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a WebAssembly module/);
  });

  it('a missing initramfs is reported', async () => {
    const r = await runCli(['--initrd', join(dir, 'nope.cpio')], { timeoutMs: SECONDS });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /initramfs not found: .*nope\.cpio/);
  });

  it('bad options are reported with usage', async () => {
    const r = await runCli(['--mem', 'lots'], { timeoutMs: SECONDS });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--mem: cannot read "lots"/);
    const r2 = await runCli(['--bogus'], { timeoutMs: SECONDS });
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /Usage: wasmlinux/);
  });

  it('an initramfs without /init ends in a kernel panic, not a hang', async () => {
    const cpio = join(dir, 'empty.cpio');
    writeFileSync(cpio, writeCpio(entriesFromSpec([{ path: '/dev', type: 'dir', mode: 0o755 }])));
    const r = await runCli(['--initrd', cpio], { timeoutMs: SECONDS });
    assert.equal(r.timedOut, false);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kernel panic: .*init/i);
  });

  it('an init that traps is killed by SIGILL and the kernel panics', async () => {
    const cpio = await initramfsWith('trap', `${START}int main(void) { __builtin_trap(); }\n`);
    const r = await runCli(['--initrd', cpio], { timeoutMs: SECONDS });
    assert.equal(r.timedOut, false);
    assert.equal(r.status, 1, r.stderr);
    // exitcode 0x4: killed by signal 4, SIGILL.
    assert.match(r.stderr, /kernel panic: Attempted to kill init! exitcode=0x00000004/);
  });

  it('an init that writes out of bounds is killed by SIGSEGV', async () => {
    const cpio = await initramfsWith(
      'wild',
      `${START}int main(void) { *(volatile int *)0xfffffff0 = 1; return 0; }\n`,
    );
    const r = await runCli(['--initrd', cpio], { timeoutMs: SECONDS });
    assert.equal(r.timedOut, false);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /kernel panic: Attempted to kill init! exitcode=0x0000000b/);
  });

  it('a working initramfs still boots after all that', async () => {
    const r = await runCli(['--initrd', INITRAMFS, '--quiet', '--', 'true'], { timeoutMs: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  });
});
