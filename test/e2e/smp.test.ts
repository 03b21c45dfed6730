// More than one CPU: every CPU runs guest code at once, each on its own host
// thread (kernel/arch/wasm/kernel/smp.c). What a user sees of it: nproc,
// /proc/cpuinfo, processes running side by side on different CPUs, taskset,
// and busy programs preempted on every CPU.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stackSwitching } from '../../src/core/stack-switching.js';
import { haveBuild, initramfsWithPrograms, runCli, startCli } from '../helpers/guest.js';

let dir = '';
let initrd = '';

/** Run a shell script in the guest on `cpus` CPUs, with /bin/busy. */
function sh(cpus: number, script: string): ReturnType<typeof runCli> {
  return runCli(['--cpus', String(cpus), '--initrd', initrd, '--', 'sh', '-c', script], {
    timeoutMs: 90_000,
  });
}

describe('SMP', { timeout: 400_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-smp-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/busy': 'busy.c' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const cpus of [1, 2, 4]) {
    it(`--cpus ${cpus}: nproc, /proc/cpuinfo and /proc/stat show ${cpus}`, async () => {
      const r = await sh(
        cpus,
        'nproc; grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat; ' +
          'grep ^processor /proc/cpuinfo',
      );
      assert.equal(r.status, 0, r.stderr);
      const [nproc, cpuinfo, stat, ...procs] = r.stdout.trim().split('\n');
      assert.equal(nproc, String(cpus));
      assert.equal(cpuinfo, String(cpus));
      assert.equal(stat, String(cpus));
      assert.deepEqual(
        procs.map((l) => l.replace(/\s+/g, ' ')),
        Array.from({ length: cpus }, (_, i) => `processor : ${i}`),
      );
    });
  }

  it('two CPU-bound processes run at the same time on different CPUs', async () => {
    // Each loop makes no system call. While both run, sample the state
    // (field 3) and processor (field 39) of each from /proc/PID/stat.
    const r = await sh(
      2,
      [
        'loop() { i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done; }',
        'loop & a=$!; loop & b=$!',
        'n=0; while [ $n -lt 40 ]; do',
        '  sa=$(cut -d" " -f3,39 /proc/$a/stat 2>/dev/null); sb=$(cut -d" " -f3,39 /proc/$b/stat 2>/dev/null)',
        '  echo "sample $sa | $sb"; usleep 50000; n=$((n+1))',
        'done',
        'kill $a $b; wait',
      ].join('\n'),
    );
    assert.equal(r.status, 0, r.stderr);
    const samples = [...r.stdout.matchAll(/^sample (\S+) (\d+) \| (\S+) (\d+)$/gm)];
    assert.ok(samples.length > 0, `no samples in:\n${r.stdout}`);
    const apart = samples.filter((m) => m[1] === 'R' && m[3] === 'R' && m[2] !== m[4]);
    assert.ok(
      apart.length > 0,
      `never both running on different CPUs:\n${samples.map((m) => m[0]).join('\n')}`,
    );
  });

  it('taskset pins a process to a CPU; sched_getaffinity shows every CPU', async () => {
    const r = await sh(
      2,
      [
        'taskset -p $$',
        'taskset -c 1 cut -d" " -f39 /proc/self/stat',
        'taskset -c 0 cut -d" " -f39 /proc/self/stat',
        'busy > /dev/null & p=$!',
        'taskset -pc 1 $p > /dev/null; usleep 100000',
        'echo "pinned $(cut -d" " -f39 /proc/$p/stat) $(taskset -p $p)"',
        'kill $p; wait $p',
        'taskset -c 5 true; echo "bad cpu: $?"',
      ].join('\n'),
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /current affinity mask: 3$/);
    assert.equal(lines[1], '1');
    assert.equal(lines[2], '0');
    assert.match(lines[3]!, /^pinned 1 .*current affinity mask: 2$/);
    assert.match(r.stdout, /bad cpu: [1-9]/);
  });

  it('busy programs on every CPU are preempted: the shell runs and kills them', async () => {
    // Two loops without system calls hold both CPUs; the shell's sleep ends
    // on a timer interrupt that only the host's watchdog can make them see.
    const r = await sh(
      2,
      [
        'busy > /dev/null & a=$!; busy > /dev/null & b=$!',
        'sleep 1; echo shell-ran',
        'kill -KILL $a $b; wait $a; echo "a=$?"; wait $b; echo "b=$?"',
      ].join('\n'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /shell-ran\na=137\nb=137\n/);
  });

  it('kernel threads share host threads where wasm stacks can be suspended', async () => {
    // While the guest waits in `read`, count the machine's host threads
    // (/proc/PID/status) and the guest's processes: once with a worker for
    // every task, once as by default.
    const count = async (extra: string[]): Promise<{ tasks: number; threads: number }> => {
      const run = startCli(
        [
          '--cpus',
          '4',
          ...extra,
          '--',
          'sh',
          '-c',
          'echo "tasks $(ls -d /proc/[0-9]* | wc -l)"; read line',
        ],
        { timeoutMs: 90_000 },
      );
      const m = await run.waitForStdout(/tasks (\d+)/);
      const status = readFileSync(`/proc/${run.pid}/status`, 'utf8');
      run.write('\n');
      const r = await run.finish();
      assert.equal(r.status, 0, r.stderr);
      const threads = /^Threads:\s+(\d+)$/m.exec(status);
      assert.ok(threads, status);
      return { tasks: Number(m[1]), threads: Number(threads[1]) };
    };
    const own = await count(['--worker-per-task']);
    const byDefault = await count([]);
    const detail = `per task: ${JSON.stringify(own)}, by default: ${JSON.stringify(byDefault)}`;
    // Every task, kernel threads included, has a worker: more threads than tasks.
    assert.ok(own.threads > own.tasks, detail);
    if (stackSwitching() === null) {
      // Node 20: no JSPI, so the default is a worker per task too.
      assert.ok(byDefault.threads > byDefault.tasks, detail);
      return;
    }
    // Each CPU's idle task, cpuhp, migration, ksoftirqd and per-CPU kworkers
    // run on one worker, at least four threads fewer per CPU; the other
    // kernel threads on one more.
    assert.ok(byDefault.threads + 16 <= own.threads, detail);
  });

  it('--cpus outside 1 to 16 is refused with a clear message', async () => {
    for (const bad of ['0', '17', 'two']) {
      const r = await runCli(['--cpus', bad, '--', 'true'], { timeoutMs: 30_000 });
      assert.equal(r.status, 2, `--cpus ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--cpus: .* is not a number of CPUs from 1 to 16/);
    }
  });
});
