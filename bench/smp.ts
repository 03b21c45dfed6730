// SMP benchmark: what more CPUs buy.
//   - speed-up: two copies of a CPU-bound program (bench/guest/spin.c, no
//     system calls) started together, at --cpus 1 and at --cpus 2; the
//     ratio of their total times is the speed-up (goal: 1.8x or better).
//     The same natively: both pinned to one host core, then free on all.
//   - threads: the same speed-up for one program running two threads
//     (`spin N 2`); and (bench/guest/futex.c) an uncontended pthread mutex
//     lock/unlock pair (alone, and with a second thread alive: glibc skips
//     atomics in a process of one thread) and a futex hand-off between two
//     threads (FUTEX_WAIT/FUTEX_WAKE); at --cpus 1 and 2, and natively;
//   - idle cost: host threads, RSS and CPU time of a machine whose guest
//     sleeps, at --cpus 1, 2 and 4 (idle CPUs should take no host CPU).
// Times come from the program itself (CLOCK_MONOTONIC in the guest or on
// the host), so the machine's boot is not counted.
//
//   node --import tsx bench/smp.ts [--runs N] [--rounds N]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileGuestProgram } from '../tools/build/guest-cc.js';
import { writeCpio } from '../src/core/cpio.js';
import { entriesFromSpec } from '../tools/initramfs/from-spec.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(ROOT, 'dist/node/cli.js');

interface Spin {
  start: bigint;
  end: bigint;
}

function parseSpins(out: string): Spin[] {
  return [...out.matchAll(/^spin (\d+) (\d+) [0-9a-f]+$/gm)].map((m) => ({
    start: BigInt(m[1]!),
    end: BigInt(m[2]!),
  }));
}

/** Milliseconds from the first start to the last end. */
function spanMs(spins: readonly Spin[]): number {
  const start = spins.reduce((a, s) => (s.start < a ? s.start : a), spins[0]!.start);
  const end = spins.reduce((a, s) => (s.end > a ? s.end : a), spins[0]!.end);
  return Number(end - start) / 1e6;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One alone, then two together: [alone ms, together ms]. */
function guestRun(initrd: string, cpus: number, rounds: number): [number, number] {
  const script = `spin ${rounds}; spin ${rounds} & spin ${rounds} & wait`;
  const r = spawnSync(
    process.execPath,
    [CLI, '--quiet', '--cpus', String(cpus), '--initrd', initrd, '--', 'sh', '-c', script],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const spins = parseSpins(r.stdout);
  if (r.status !== 0 || spins.length !== 3) {
    throw new Error(`guest run at --cpus ${cpus} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  }
  return [spanMs(spins.slice(0, 1)), spanMs(spins.slice(1))];
}

/** A command (program on the guest's PATH, then arguments) at `cpus` CPUs: its one line of output. */
function guestLine(initrd: string, cpus: number, argv: readonly string[]): string {
  const r = spawnSync(
    process.execPath,
    [CLI, '--quiet', '--cpus', String(cpus), '--initrd', initrd, '--', ...argv],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0) {
    throw new Error(`guest ${argv.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout.trim();
}

/** The same natively (argv[0] a path); `pin` keeps it on host core 0. */
function nativeLine(argv: readonly string[], pin: boolean): string {
  const [file, ...args] = pin ? ['taskset', '-c', '0', ...argv] : argv;
  const r = spawnSync(file!, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native ${argv.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** Milliseconds of a "spin START END SUM" line, or the number of a "NAME VALUE" line. */
function value(line: string): number {
  const spins = parseSpins(line);
  if (spins.length === 1) return spanMs(spins);
  const v = /^[\w-]+ ([\d.]+)$/.exec(line);
  if (!v) throw new Error(`unexpected output: ${line}`);
  return Number(v[1]);
}

/** The same natively; `pin` runs both copies on host core 0. */
function nativeRun(spin: string, rounds: number, pin: boolean): [number, number] {
  const run = (n: number): Spin[] => {
    const cmd = Array.from({ length: n }, () =>
      pin ? `taskset -c 0 ${spin} ${rounds} &` : `${spin} ${rounds} &`,
    ).join(' ');
    const r = spawnSync('sh', ['-c', `${cmd} wait`], { encoding: 'utf8' });
    return parseSpins(r.stdout);
  };
  return [spanMs(run(1)), spanMs(run(2))];
}

interface IdleCost {
  threads: number;
  rssMiB: number;
  cpuPercent: number;
}

/** Boot `sleep 6`, then look at the host process while the guest sleeps. */
async function idleCost(cpus: number): Promise<IdleCost> {
  const child = spawn(
    process.execPath,
    [CLI, '--quiet', '--cpus', String(cpus), '--', 'sleep', '6'],
    {
      stdio: 'ignore',
    },
  );
  const pid = child.pid!;
  const ticks = (): number => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(3000);
  const t0 = ticks();
  await sleep(2000);
  const t1 = ticks();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1]);
  const exited = new Promise((r) => child.on('exit', r));
  await exited;
  // Clock ticks are 1/100 s here: over 2 s, ticks/2 is a percentage of one core.
  return { threads: field('Threads'), rssMiB: field('VmRSS') / 1024, cpuPercent: (t1 - t0) / 2 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '400000000' },
    },
  });
  const runs = Number(values.runs);
  const rounds = Number(values.rounds);
  console.log(`host: ${availableParallelism()} cores; ${runs} runs, ${rounds} rounds per copy`);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-smp-'));
  try {
    const src = join(ROOT, 'bench/guest/spin.c');
    const futexSrc = join(ROOT, 'bench/guest/futex.c');
    const guestSpin = join(dir, 'spin.wasm');
    const guestFutexProg = join(dir, 'futex.wasm');
    await compileGuestProgram(guestSpin, [src], { cflags: ['-O2'] });
    await compileGuestProgram(guestFutexProg, [futexSrc], { cflags: ['-O2'] });
    const initrd = join(dir, 'initrd.cpio');
    const extra = writeCpio(
      entriesFromSpec([
        { path: '/bin/spin', type: 'file', mode: 0o755, source: guestSpin },
        { path: '/bin/futex', type: 'file', mode: 0o755, source: guestFutexProg },
      ]),
    );
    writeFileSync(initrd, Buffer.concat([readFileSync(join(ROOT, 'build/initramfs.cpio')), extra]));
    const nativeSpin = join(dir, 'spin-native');
    const cc = spawnSync('cc', ['-O2', '-pthread', '-o', nativeSpin, src], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
    const nativeFutexProg = join(dir, 'futex-native');
    const cc2 = spawnSync('cc', ['-O2', '-pthread', '-o', nativeFutexProg, futexSrc], {
      encoding: 'utf8',
    });
    if (cc2.status !== 0) throw new Error(`cc failed: ${cc2.stderr}`);

    const results: Record<string, [number, number][]> = { g1: [], g2: [], n1: [], n2: [] };
    for (let i = 0; i < runs; i++) {
      results.g1!.push(guestRun(initrd, 1, rounds));
      results.g2!.push(guestRun(initrd, 2, rounds));
      results.n1!.push(nativeRun(nativeSpin, rounds, true));
      results.n2!.push(nativeRun(nativeSpin, rounds, false));
    }
    const med = (k: string, i: 0 | 1): number => median(results[k]!.map((r) => r[i]));
    const row = (name: string, k: string): string =>
      `${name.padEnd(34)} ${med(k, 0).toFixed(0).padStart(8)} ${med(k, 1).toFixed(0).padStart(10)}`;
    console.log(
      `\n${'medians, ms'.padEnd(34)} ${'one alone'.padStart(8)} ${'two together'.padStart(10)}`,
    );
    console.log(row('guest --cpus 1', 'g1'));
    console.log(row('guest --cpus 2', 'g2'));
    console.log(row('native, both on one core', 'n1'));
    console.log(row('native, free', 'n2'));
    const guestUp = med('g1', 1) / med('g2', 1);
    const nativeUp = med('n1', 1) / med('n2', 1);
    console.log(`\nspeed-up of two copies, --cpus 2 vs --cpus 1: ${guestUp.toFixed(2)}x`);
    console.log(`native, two cores vs one: ${nativeUp.toFixed(2)}x`);
    console.log(
      `guest/native time, one copy alone at --cpus 2: ${(med('g2', 0) / med('n2', 0)).toFixed(2)}x`,
    );

    // Threads: [guest --cpus 1, guest --cpus 2, native on one core, native free].
    // Name, the program's guest name and native path, its arguments.
    const threadRows: [string, string, string, string[]][] = [
      ['two threads spinning, ms', 'spin', nativeSpin, [String(rounds), '2']],
      ['mutex lock+unlock pair, ns', 'futex', nativeFutexProg, ['mutex', '10000000']],
      ['  the same, 2 threads alive, ns', 'futex', nativeFutexProg, ['mutex-mt', '10000000']],
      ['futex hand-off, ns', 'futex', nativeFutexProg, ['pingpong', '100000']],
    ];
    console.log(
      `\n${'medians'.padEnd(30)} ${['g --cpus 1', 'g --cpus 2', 'n 1 core', 'n free'].map((h) => h.padStart(11)).join('')}`,
    );
    const threadMed: number[][] = [];
    for (const [name, guestProg, nativeProg, args] of threadRows) {
      const cells: number[][] = [[], [], [], []];
      for (let i = 0; i < runs; i++) {
        cells[0]!.push(value(guestLine(initrd, 1, [guestProg, ...args])));
        cells[1]!.push(value(guestLine(initrd, 2, [guestProg, ...args])));
        cells[2]!.push(value(nativeLine([nativeProg, ...args], true)));
        cells[3]!.push(value(nativeLine([nativeProg, ...args], false)));
      }
      const meds = cells.map(median);
      threadMed.push(meds);
      console.log(`${name.padEnd(30)} ${meds.map((m) => m.toFixed(1).padStart(11)).join('')}`);
    }
    const [spinRow, mutexRow, mutexMtRow, pingRow] = threadMed as [
      number[],
      number[],
      number[],
      number[],
    ];
    console.log(
      `\nspeed-up of two threads, --cpus 2 vs --cpus 1: ${(spinRow[0]! / spinRow[1]!).toFixed(2)}x`,
    );
    console.log(
      `mutex pair, guest --cpus 2 / native: ${(mutexRow[1]! / mutexRow[3]!).toFixed(2)}x ` +
        `(with a second thread alive, where glibc too uses atomics: ` +
        `${(mutexMtRow[1]! / mutexMtRow[3]!).toFixed(2)}x)`,
    );
    console.log(
      `futex hand-off across CPUs, guest --cpus 2 / native: ${(pingRow[1]! / pingRow[3]!).toFixed(2)}x`,
    );

    console.log('\nidle at a sleeping guest (host process):');
    for (const cpus of [1, 2, 4]) {
      const c = await idleCost(cpus);
      console.log(
        `  --cpus ${cpus}: ${c.threads} threads, RSS ${c.rssMiB.toFixed(0)} MiB, ` +
          `CPU ${c.cpuPercent.toFixed(1)}% of one core`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
