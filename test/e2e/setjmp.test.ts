// setjmp/longjmp and sigsetjmp/siglongjmp (docs/setjmp.md): clang lowers
// setjmp in its caller, longjmp throws through the host to that caller's
// nearest call. test/guest/setjmp.c runs each case as a subcommand from a
// shell in the guest and prints what it found.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  haveBuild,
  initramfsWithPrograms,
  mustMatch,
  runCli,
  type RunResult,
} from '../helpers/guest.js';

let dir = '';
let initrd = '';
let run: RunResult;

describe('setjmp and longjmp', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-setjmp-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/setjmp': 'setjmp.c' });
    run = await runCli(
      [
        '--initrd',
        initrd,
        '--',
        'sh',
        '-c',
        'for t in nested signal fork vfork threads; do setjmp $t || echo "$t failed: $?"; done; ' +
          'setjmp stale; echo "stale status $?"; dmesg | grep -F "trap in user code"; echo done',
      ],
      { timeoutMs: 240_000 },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every case to the end', () => {
    assert.equal(run.status, 0, `${run.stderr}\n${run.stdout}`);
    assert.doesNotMatch(run.stdout, /failed|returned/);
    assert.match(run.stdout, /^done$/m);
  });

  it('jumps out of deep recursion and past a function with its own setjmp; 0 arrives as 1', () => {
    // inner 102: middle() caught its own jump (value 2); outer 2: it let the
    // one for cmd_nested pass. The stack pointer is back where it was.
    assert.equal(
      mustMatch(run, /^nested: .*$/m)[0],
      'nested: deep 7 zero 1 inner 102 outer 2 volatile 42 many 10000 stack same',
    );
  });

  it('siglongjmp leaves handlers for raise, a busy loop and a blocking read (SA_RESTART too); the mask as saved', () => {
    // second 1: a handler the kernel ran after the one that jumped, on the
    // way out of the same call, ran to its end, system call included.
    assert.equal(
      mustMatch(run, /^signal: .*$/m)[0],
      'signal: jumps 3 restored 1 kept-blocked 1 busy 1 read 1 restart-read 1 alrm-blocked 0 second 1',
    );
  });

  it('a function that called setjmp and then fork()ed: each copy jumps back on its own', () => {
    assert.equal(mustMatch(run, /^fork: .*$/m)[0], 'fork: child 5 parent 6');
  });

  it('a function that called setjmp and then vfork()ed jumps back afterwards', () => {
    assert.equal(mustMatch(run, /^vfork: .*$/m)[0], 'vfork: status 9 jumped 4');
  });

  it('four threads jump at once, each to its own buffer', () => {
    assert.equal(mustMatch(run, /^threads: .*$/m)[0], 'threads: jumps 4000');
  });

  it('a jump to a function that has returned kills the program with SIGSEGV, and says so', () => {
    assert.match(run.stdout, /^stale status 139$/m);
    assert.doesNotMatch(run.stdout, /landed in a frame that is gone/);
    assert.match(
      run.stdout,
      /setjmp\[\d+\]: trap in user code \(longjmp to a setjmp that is no longer on the stack\), killed by signal 11/,
    );
  });
});

describe("BusyBox's paths that longjmp", { timeout: 120_000 }, () => {
  it('test and [ report a syntax error and return 2; the shell goes on', async () => {
    const r = await runCli(
      [
        '--',
        'sh',
        '-c',
        'test 1 -eq; echo "builtin $?"; busybox test 1 -eq; echo "applet $?"; ' +
          '[ a = ; echo "bracket $?"; [ 2 -lt 3 ] && echo "fine $?"',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.stdout, 'builtin 2\napplet 2\nbracket 2\nfine 0\n');
    // test's own message, from where it longjmps (no abort, no trap).
    assert.doesNotMatch(r.stderr, /longjmp|Aborted|Illegal|Segmentation/);
    assert.equal(r.stderr.match(/-eq: argument expected/g)?.length ?? 0, 2, r.stderr);
  });

  it('gunzip of corrupt data says so and fails; of good data still works', async () => {
    const r = await runCli(
      [
        '--',
        'sh',
        '-c',
        // A gzip header, then a deflate block of a reserved type (3).
        "printf '\\037\\213\\010\\000\\000\\000\\000\\000\\000\\003\\007\\377\\377' | gunzip >/dev/null; " +
          'echo "corrupt $?"; echo hello | gzip | gunzip; echo "good $?"',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.stdout, 'corrupt 1\nhello\ngood 0\n');
    assert.match(r.stderr, /gunzip: corrupted data/);
  });
});
