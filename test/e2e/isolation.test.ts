// Each process has its own memory: another process cannot read it, a
// crashing process dies alone with the right signal, and files that are not
// programs fail execve with ENOEXEC instead of reaching the host.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { moduleBytes, name, section, SECTION, vec } from '../../src/core/wasm-emit.js';
import {
  buildGuestProgram,
  haveBuild,
  mustMatch,
  ROOT,
  runCli,
  writeInitramfs,
  type RunResult,
} from '../helpers/guest.js';

let dir = '';
let result: RunResult;

/**
 * A program execve's check accepts (it imports what the host provides, by
 * name) that cannot be instantiated: its linux.syscall has the wrong type.
 */
function mislinkedProgram(): Uint8Array {
  return moduleBytes([
    // Types (i32) -> () and () -> ().
    section(
      SECTION.type,
      vec([
        [0x60, 1, 0x7f, 0],
        [0x60, 0, 0],
      ]),
    ),
    section(
      SECTION.import,
      vec([
        [...name('env'), ...name('memory'), 0x02, 0x00, 0x01],
        [...name('linux'), ...name('syscall'), 0x00, 0],
      ]),
    ),
    section(SECTION.function, vec([[1]])),
    section(SECTION.export, vec([[...name('_start'), 0x00, 1]])),
    section(SECTION.code, vec([[2, 0, 0x0b]])),
  ]);
}

function line(re: RegExp): RegExpExecArray {
  return mustMatch(result, re);
}

describe('isolation and exec', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-iso-'));
    const prog = await buildGuestProgram({
      dir,
      name: 'procs',
      sources: [join(ROOT, 'test/guest/procs.c')],
      clones: true,
    });
    const trueProg = await buildGuestProgram({
      dir,
      name: 'true',
      sources: [join(ROOT, 'bench/guest/true.c')],
    });
    const bytes = readFileSync(prog);
    const corrupt = Buffer.from(bytes);
    corrupt.fill(0xff, corrupt.length >> 1, (corrupt.length >> 1) + 64);
    const files: Record<string, Uint8Array | string> = {
      text: 'echo a shell script without a #! line\n',
      empty: '',
      truncated: bytes.subarray(0, bytes.length >> 1),
      corrupt,
      script: '#!/init script-ran\n',
      mislinked: mislinkedProgram(),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const cpio = writeInitramfs(join(dir, 'procs.cpio'), prog, {
      '/bin/true': trueProg,
      ...Object.fromEntries(Object.keys(files).map((name) => [`/bad/${name}`, join(dir, name)])),
    });
    result = await runCli(['--quiet', '--initrd', cpio]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the machine runs the whole scenario and powers off', () => {
    assert.equal(result.timedOut, false);
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('another process cannot read init memory, directly or through /proc/1/mem', () => {
    assert.equal(line(/^init: getrandom (\d+)/m)[1], '16');
    const secret = line(/^init: secret at \d+ is ([0-9a-f]{32})\r?$/m)[1]!;
    assert.notEqual(secret, '0'.repeat(32));
    const seen = line(/^peek: own memory at that address: ([0-9a-f]{32})\r?$/m)[1]!;
    assert.notEqual(seen, secret);
    assert.equal(line(/^peek: mount proc (-?\d+)/m)[1], '0');
    // /proc/1/mem may open, but reading another process's memory fails.
    const pread = line(/^peek: pread (-?\d+)/m)[1]!;
    assert.ok(Number(pread) < 0, `pread returned ${pread}`);
    assert.doesNotMatch(result.stdout, new RegExp(`peek: pread \\d+ ${secret}`));
    // And init's memory is untouched.
    assert.equal(line(/^init: secret still ([0-9a-f]{32})\r?$/m)[1], secret);
  });

  it('a process that faults dies with SIGSEGV or SIGILL; its parent carries on', () => {
    assert.equal(line(/^init: segv status (-?\d+)/m)[1], '11');
    assert.equal(line(/^init: ill status (-?\d+)/m)[1], '4');
  });

  it('text, empty, truncated and corrupt files fail execve with ENOEXEC', () => {
    for (const name of ['text', 'empty', 'truncated', 'corrupt']) {
      assert.equal(line(new RegExp(`^exec /bad/${name}: (-?\\d+)\\r?$`, 'm'))[1], '-8', name);
    }
  });

  it('a program file replaced in place runs as the new program', () => {
    // Same path, new contents: the compiled-module cache must not serve the old one.
    assert.equal(line(/^init: x as procs status (-?\d+)/m)[1], String(3 << 8));
    assert.equal(line(/^init: x as true status (-?\d+)/m)[1], '0');
  });

  it('a program whose imports do not fit dies with SIGSEGV after execve; the machine goes on', () => {
    // (The kernel log, shown with --verbose, says "the program cannot be linked: …".)
    assert.equal(line(/^init: mislinked status (-?\d+)/m)[1], '11');
  });

  it('#! scripts run through their interpreter', () => {
    assert.equal(line(/^script: ran with (\S+)\r?$/m)[1], '/bad/script');
    assert.equal(line(/^init: script status (-?\d+)/m)[1], String(3 << 8));
  });
});
