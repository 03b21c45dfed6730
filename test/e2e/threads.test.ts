// POSIX threads (musl's pthreads on clone(CLONE_THREAD), one instance of the
// program per thread on the process's shared memory; the kernel's futexes
// through the host's Atomics): test/guest/threads.c runs each case as a
// subcommand from a shell in the guest and prints what it computed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileGuestProgram, defaultSysroot } from '../../tools/build/guest-cc.js';
import {
  ROOT,
  haveBuild,
  initramfsPlus,
  mustMatch,
  runCli,
  type RunResult,
} from '../helpers/guest.js';

let dir = '';
let initrd = '';

/** Run a shell script in the guest with the programs at /bin/threads and /bin/nonshared. */
function sh(script: string, timeoutMs = 90_000): Promise<RunResult> {
  return runCli(['--initrd', initrd, '--', 'sh', '-c', script], { timeoutMs });
}

/** The values on the line `name: key value key value …`, by key. */
function fields(r: RunResult, name: string): Record<string, number> {
  const m = mustMatch(r, new RegExp(`^${name}: (.*?)\\r?$`, 'm'));
  const words = (m[1] ?? '').split(/\s+/);
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < words.length; i += 2) out[words[i] ?? ''] = Number(words[i + 1]);
  return out;
}

/** Link test/guest/nonshared.c the way wasmlinux-cc does, but with a private memory. */
async function buildNonShared(): Promise<string> {
  const obj = join(dir, 'nonshared.o');
  const out = join(dir, 'nonshared');
  await compileGuestProgram(obj, [join(ROOT, 'test/guest/nonshared.c')], {
    cflags: ['-O2'],
    compileOnly: true,
  });
  const lib = join(defaultSysroot(), 'lib');
  const r = spawnSync(
    'wasm-ld-19',
    [
      join(lib, 'crt1.o'),
      obj,
      `-L${lib}`,
      '-lc',
      '-lclang_rt.builtins',
      '--import-memory',
      '--no-entry',
      '--export=_start',
      '--export=__wasm_sigentry',
      '--export=__stack_pointer',
      '--global-base=1024',
      '-o',
      out,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return out;
}

describe('POSIX threads', { timeout: 600_000 }, () => {
  let basics: RunResult;

  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-threads-'));
    const threads = join(dir, 'threads');
    await compileGuestProgram(threads, [join(ROOT, 'test/guest/threads.c')], { cflags: ['-O2'] });
    initrd = initramfsPlus(join(dir, 'initrd.cpio'), {
      '/bin/threads': [threads, 0o755],
      '/bin/nonshared': [await buildNonShared(), 0o755],
    });
    basics = await sh(
      'for t in sum mutex condvar barrier sync tls cancel futex signals altstack; do threads $t || { echo "$t failed: $?"; dmesg | grep -F "trap in user code"; }; done; echo done',
      240_000,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every case to the end', () => {
    assert.equal(basics.status, 0, `${basics.stderr}\n${basics.stdout}`);
    assert.doesNotMatch(basics.stdout, /failed/);
    assert.match(basics.stdout, /^done$/m);
  });

  it('threads summing disjoint ranges get the exact total', () => {
    const f = fields(basics, 'sum');
    // Σ n % 1000 over 8,000,000 numbers: 8000 full cycles of 0..999.
    assert.equal(f['total'], 8000 * 499500);
    assert.equal(f['expect'], f['total']);
  });

  it('a mutex makes 4 × 1,000,000 increments exactly 4,000,000; recursive, errorcheck, robust', () => {
    assert.deepEqual(fields(basics, 'mutex'), {
      count: 4_000_000,
      recursive: 1,
      trybusy: 1,
      deadlk: 1,
      eperm: 1,
      robust: 1,
      'robust-raw': 1,
    });
  });

  it('a producer and three consumers on condition variables pass every item once', () => {
    assert.deepEqual(fields(basics, 'condvar'), { items: 20000, sum: (20000 * 20001) / 2 });
  });

  it('barrier rounds: nobody passes before everybody arrived; one serial thread per round', () => {
    assert.deepEqual(fields(basics, 'barrier'), { rounds: 200, serial: 200, errors: 0 });
  });

  it('semaphores, spinlocks, rwlocks and pthread_once', () => {
    const sem = fields(basics, 'sem');
    assert.equal(sem['sum'], (20000 * 20001) / 2);
    assert.equal(sem['trywait'], 1);
    assert.equal(sem['timedout'], 1);
    assert.ok((sem['waited-ms'] ?? 0) >= 95, `sem_timedwait waited ${sem['waited-ms']} ms`);
    assert.deepEqual(fields(basics, 'sync'), { spin: 400000, rw: 1600, 'rw-bad': 0, once: 1 });
  });

  it('each thread has its own _Thread_local values and keys; join returns their results', () => {
    // 0·11 + 1·11 + 2·11 + 3·11 (the last through pthread_exit); one dtor per thread.
    assert.deepEqual(fields(basics, 'tls'), { ok: 1, sum: 66, 'main-kept': 1, dtors: 4 });
  });

  it('300 detached threads run, and their stacks are reused rather than leaked', () => {
    const f = fields(basics, 'detach');
    assert.equal(f['ran'], 300);
    // One stack is about 140 KiB: 300 leaked would be 40 MiB.
    assert.ok((f['grew-kib'] ?? Infinity) < 8192, `memory grew ${f['grew-kib']} KiB`);
  });

  it('cancellation: in a blocking read, asynchronous in a busy loop, deferred while disabled', () => {
    assert.deepEqual(fields(basics, 'cancel'), {
      blocked: 1,
      async: 1,
      deferred: 1,
      cleanups: 2,
    });
  });

  it('futex: timeouts (measured in the guest), EAGAIN, WAKE_OP and CMP_REQUEUE', () => {
    const f = fields(basics, 'futex');
    assert.equal(f['timedout'], 1);
    assert.ok((f['waited-ms'] ?? 0) >= 295, `FUTEX_WAIT returned after ${f['waited-ms']} ms`);
    assert.equal(f['eagain'], 1);
    assert.equal(f['bitset'], 1);
    assert.ok((f['bitset-ms'] ?? 0) >= 195, `WAIT_BITSET returned after ${f['bitset-ms']} ms`);
    assert.equal(f['wakeop'], 1);
    // One woken and two requeued; the requeued ones wake only on the second word.
    assert.equal(f['requeue'], 3);
    assert.equal(f['woken-first'], 1);
    assert.equal(f['woken'], 3);
  });

  it('sigwait in a thread, process signals to the thread that does not block them, affinity', () => {
    assert.deepEqual(fields(basics, 'tsignals'), {
      sigwait: 10,
      'by-thread': 1,
      'by-main': 0,
      affinity: 1,
    });
  });

  it('inside a handler on the alternate stack, sigaltstack says SS_ONSTACK and refuses changes', () => {
    // SS_ONSTACK 1, EPERM for a new stack and for SS_DISABLE, back to 0 after.
    assert.deepEqual(fields(basics, 'altstack'), {
      onstack: 1,
      eperm: 1,
      'disable-eperm': 1,
      'after-flags': 0,
      same: 1,
    });
  });

  it('handlers nesting without end (SA_NODEFER, raising their own signal) get SIGSEGV, not a panic', async () => {
    const r = await sh('threads nest > /tmp/n; echo status=$?; tail -n 1 /tmp/n; echo shell-alive');
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^status=139$/m);
    const depth = Number(mustMatch(r, /^nest: depth (\d+)$/m)[1]);
    assert.ok(depth >= 10, `nested ${depth} deep`);
    assert.match(r.stdout, /^shell-alive$/m);
  });

  it('stress: threads raise and send signals for seconds while others come and go', async () => {
    const r = await sh('threads stress 4; echo status=$?', 180_000);
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^status=0$/m);
    const f = fields(r, 'stress');
    assert.ok((f['expect-rt'] ?? 0) > 2000, r.stdout);
    assert.equal(f['rt'], f['expect-rt']);
    assert.equal(f['rt1'], f['expect-rt1']);
    assert.equal(f['usr1'], f['expect-usr1']);
    assert.equal(f['usr2-some'], 1);
    assert.equal(f['churned-some'], 1);
    assert.doesNotMatch(r.stdout + r.stderr, /panic|corrupted stack/i);
  });

  it('exit() or a fatal signal in one thread ends them all; a trap is SIGSEGV; the shell lives', async () => {
    const r = await sh(
      'threads exit; echo exit=$?; threads term; echo term=$?; threads trap; echo trap=$?; ' +
        'threads exec; echo exec=$?; echo shell-alive',
    );
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^exit=3$/m);
    assert.match(r.stdout, /^term=143$/m);
    assert.match(r.stdout, /^trap=139$/m);
    // execve from a thread: the others are gone, the program is echo.
    assert.match(r.stdout, /^exec'd from a thread\nexec=0$/m);
    assert.doesNotMatch(r.stdout, /still here/);
    assert.match(r.stdout, /^shell-alive$/m);
  });

  it('kill -9 ends a process of 4 busy threads; /proc/PID/task, ps -T and top -H list them', async () => {
    const r = await sh(
      'threads busy4 > /tmp/b & p=$!; until grep -q looping /tmp/b; do usleep 10000; done; ' +
        'ls /proc/$p/task | wc -l; ps -T | grep -c "threads busy4$"; ' +
        'top -H -b -n 1 | grep -c "threads busy4$"; ' +
        'kill -9 $p; wait $p; echo status=$?; cat /tmp/b',
    );
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^busy4: looping tasks 5$/m);
    // ls | wc -l, then ps -T's and top -H's lines for the process: the 5 tasks.
    assert.match(r.stdout, /^5\n5\n5\nstatus=137$/m);
  });

  it('a program linked without a shared memory gets EAGAIN from pthread_create', async () => {
    const r = await sh('nonshared; echo status=$?');
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^nonshared: create 11$/m);
    assert.match(r.stdout, /^nonshared: carried on\nstatus=0$/m);
  });
});
