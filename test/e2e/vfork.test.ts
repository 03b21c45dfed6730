// vfork() built on binaryen's Asyncify (docs/vfork.md): the child returns
// 0 from vfork() in a new instance on the parent's memory and stack, the
// parent resumes with the pid once the child has exited or exec'd.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../../tools/build/userland.js';
import { run } from '../../tools/build/progress.js';
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

function field(re: RegExp): RegExpExecArray {
  return mustMatch(result, re);
}

describe('vfork on asyncify', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-vfork-'));
    const src = join(ROOT, 'test/guest/vfork');
    const raw = join(dir, 'init.raw');
    await buildProgram(
      raw,
      [
        join(ROOT, 'userland/init/crt.S'),
        join(src, 'glue.S'),
        join(src, 'vfork.c'),
        join(src, 'main.c'),
      ],
      join(ROOT, 'build/include'),
      dir,
      {
        includes: [join(ROOT, 'userland/init')],
        ldflags: ['--shared-memory', '--export=__wasm_clone_entry'],
      },
    );
    // Asyncify before optimising, so that vfork is not inlined away first.
    const wasmOpt = join(
      dirname(createRequire(import.meta.url).resolve('binaryen/package.json')),
      'bin',
      'wasm-opt',
    );
    const init = join(dir, 'init');
    await run(
      process.execPath,
      [
        wasmOpt,
        raw,
        '-g',
        '--asyncify',
        '--pass-arg=asyncify-ignore-imports',
        '--pass-arg=asyncify-ignore-indirect',
        '-O2',
        '-o',
        init,
      ],
      { label: 'wasm-opt-vfork' },
    );
    const trueProg = await buildGuestProgram({
      dir,
      name: 'true',
      sources: [join(ROOT, 'bench/guest/true.c')],
    });
    result = await runCli([
      '--quiet',
      '--initrd',
      writeInitramfs(join(dir, 'i.cpio'), init, { '/bin/true': trueProg }),
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to power-off', () => {
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('the child sees vfork() return 0 and its own pid; the parent sees the pid and the changes', () => {
    const child = field(
      /^child: vfork returned 0, pid (\d+) ppid (\d+) local (\d+) __tls_base (\d+) tls_var (\d+)/m,
    );
    const parent = field(
      /^parent: vfork returned (\d+), shared_var (\d+), on_stack (\d+), tls_var (\d+), local (\d+), __tls_base (\d+)/m,
    );
    assert.equal(parent[1], child[1]); // the pid
    assert.equal(child[2], '1'); // ppid: init
    assert.equal(child[3], '100'); // locals restored in the child
    assert.equal(child[4], parent[6]); // the same TLS block
    assert.equal(child[5], '5');
    assert.equal(parent[2], '2'); // memory the child changed
    assert.equal(parent[3], '3'); // the borrowed stack frame
    assert.equal(parent[4], '7'); // thread-local storage
    assert.equal(parent[5], '100'); // a wasm local is per instance, like a register
    assert.match(
      result.stdout,
      new RegExp(`^parent: wait4 ${child[1]} status ${42 << 8} \\(exit 42\\)`, 'm'),
    );
  });

  it('a child vforked a few frames deep can exec', () => {
    const m = field(/^parent: exec child (\d+) status (\d+) a (\d+) b (\d+)/m);
    assert.equal(m[2], String(7 << 8));
    assert.equal(m[3], '13');
    assert.equal(m[4], '8');
    assert.match(
      result.stdout,
      new RegExp(`^exec'd child: pid ${m[1]} ppid 1 env WHO=vfork-child`, 'm'),
    );
  });
});
