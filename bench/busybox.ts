// BusyBox benchmark: the same shell workloads run by the guest's BusyBox
// (wasm, hush under wasmlinux) and by the same BusyBox built natively with gcc
// (bench/native-busybox.ts), on this host. For each it prints the best and
// median rate of --runs runs on both sides and the ratio guest time / native
// time (how many times slower the guest is).
//
// Workloads 1-5 are timed inside the shell with `date +%s%N` around the
// command, so the guest's boot and power-off are not counted (the two `date`
// processes' start and end are, on both sides). Workload 6 is end to end.
//
//   node --import tsx bench/busybox.ts [--runs N] [--cpus N] [--initrd IMAGE] [--shell SH]

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDuration, withStep } from '../tools/build/progress.js';
import { buildNativeBusybox, type NativeBusybox } from './native-busybox.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const MIB = 1024 * 1024;
// Per run of a workload, and once more for the guest's boot: a hung guest
// must become an error, not a stuck benchmark.
const RUN_TIMEOUT_MS = 120_000;

/** One shell workload, run on both sides with the same script. */
interface Workload {
  name: string;
  /** Timed between two `date +%s%N`. May use $TRUE, the path of `true` on that side. */
  body: string;
  /** Run after the second timestamp: prints what `check` looks for. */
  after?: string;
  /** A run does `amount` of `unit` (MiB, spawns ...): its rate is amount / seconds. */
  amount: number;
  unit: string;
  /** Why a run's output is wrong, or undefined if it is right. */
  check: (out: string) => string | undefined;
}

/** How a side (guest or native) runs a shell script: its stdout and exit status. */
type ShellRunner = (script: string, timeoutMs: number) => SpawnSyncReturns<string>;

interface Stats {
  best: number;
  median: number;
}

interface Row {
  name: string;
  unit: string;
  guest: Stats;
  native: Stats;
  /** Guest time / native time, from the best and the median runs. */
  slowdown: Stats;
}

function recordsOut(n: number): (out: string) => string | undefined {
  const want = `${n}+0 records out`;
  return (out) => (out.split('\n').includes(want) ? undefined : `no "${want}" from dd`);
}

function countIs(want: string): (out: string) => string | undefined {
  return (out) =>
    out.includes(`@@count ${want}\n`) ? undefined : `the loop did not end at ${want}`;
}

function md5OfZeros(bytes: number): string {
  const h = createHash('md5');
  const chunk = Buffer.alloc(MIB);
  for (let done = 0; done < bytes; done += MIB) h.update(chunk);
  return h.digest('hex');
}

function workloads(): Workload[] {
  const md5 = md5OfZeros(256 * MIB);
  return [
    {
      name: '1 dd bs=1M count=256 | md5sum',
      body: 'dd if=/dev/zero bs=1M count=256 | md5sum',
      amount: 256,
      unit: 'MiB/s',
      check: (out) =>
        out.split('\n').includes(`${md5}  -`)
          ? recordsOut(256)(out)
          : `md5sum did not print ${md5} (256 MiB of zeros)`,
    },
    {
      name: '2 1000 x $TRUE from a loop',
      // f counts failed starts: a true that did not run must not look fast.
      body: 'i=0; f=0; while [ $i -lt 1000 ]; do $TRUE || f=$((f+1)); i=$((i+1)); done',
      after: 'echo "@@count $i $f"',
      amount: 1000,
      unit: 'spawns/s',
      check: countIs('1000 0'),
    },
    {
      name: '3 dd bs=64k count=4096 | cat',
      body: 'dd if=/dev/zero bs=64k count=4096 | cat >/dev/null',
      amount: 256,
      unit: 'MiB/s',
      check: recordsOut(4096),
    },
    {
      name: '4 dd bs=1 count=200000',
      body: 'dd if=/dev/zero of=/dev/null bs=1 count=200000',
      // Each byte is one read(2) and one write(2).
      amount: 400_000,
      unit: 'syscalls/s',
      check: recordsOut(200_000),
    },
    {
      name: '5 100000-step $((i+1)) loop',
      body: 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done',
      after: 'echo "@@count $i"',
      amount: 100_000,
      unit: 'steps/s',
      check: countIs('100000'),
    },
  ];
}

/**
 * The script for `runs` runs of `w`: each prints its output, then
 * `@@run <t0> <t1> <status>`. stderr joins stdout because dd's record counts
 * (on stderr) are checked; pipefail so a pipeline's first command failing
 * shows.
 */
function scriptFor(w: Workload, runs: number, truePath: string): string {
  return [
    'exec 2>&1',
    'set -o pipefail',
    `TRUE=${truePath}`,
    'r=0',
    `while [ $r -lt ${runs} ]; do`,
    't0=$(date +%s%N)',
    w.body,
    'st=$?',
    't1=$(date +%s%N)',
    w.after ?? ':',
    'echo "@@run $t0 $t1 $st"',
    'r=$((r+1))',
    'done',
  ].join('\n');
}

/** Seconds of each run, from the script's output; throws if a run went wrong. */
function parseRuns(w: Workload, out: string, runs: number): number[] {
  const seconds: number[] = [];
  let segment = '';
  for (const line of out.split('\n')) {
    const m = /^@@run (\S*) (\S*) (\S*)$/.exec(line);
    if (!m) {
      segment += line + '\n';
      continue;
    }
    const [, t0 = '', t1 = '', status = ''] = m;
    const run = seconds.length + 1;
    if (!/^\d+$/.test(t0) || !/^\d+$/.test(t1)) {
      throw new Error(
        `run ${run}: date +%s%N gave t0=${JSON.stringify(t0)} t1=${JSON.stringify(t1)}`,
      );
    }
    if (status !== '0') throw new Error(`run ${run}: the workload exited with ${status}`);
    const wrong = w.check(segment);
    if (wrong !== undefined) throw new Error(`run ${run}: ${wrong}`);
    seconds.push(Number(BigInt(t1) - BigInt(t0)) / 1e9);
    segment = '';
  }
  if (seconds.length !== runs) throw new Error(`${seconds.length} of ${runs} runs finished`);
  return seconds;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** What went wrong with a finished process, or undefined if it exited 0. */
function failure(r: SpawnSyncReturns<string>): string | undefined {
  if (r.error) return `could not run or timed out: ${r.error.message}`;
  if (r.signal) return `was killed by ${r.signal}`;
  if (r.status !== 0) return `exited with ${String(r.status)}`;
  return undefined;
}

/** Run `w` on one side; the error names the command and shows its output. */
function measure(
  side: string,
  run: ShellRunner,
  w: Workload,
  runs: number,
  truePath: string,
): number[] {
  const script = scriptFor(w, runs, truePath);
  const r = run(script, RUN_TIMEOUT_MS * (runs + 1));
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  try {
    const how = failure(r);
    if (how !== undefined) throw new Error(how);
    return parseRuns(w, r.stdout, runs);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `${side}: workload "${w.name}" failed: ${why}\n` +
        `--- script (sh -c) ---\n${script}\n--- output (last 30 lines) ---\n${tail(out)}`,
      { cause: err },
    );
  }
}

function guestRunner(guestArgs: string[], shell: string): ShellRunner {
  return (script, timeoutMs) =>
    spawnSync(
      process.execPath,
      [join(ROOT, 'dist/node/cli.js'), '--quiet', ...guestArgs, '--', shell, '-c', script],
      { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] },
    );
}

/**
 * `busybox sh -c` in `dir`, with only the native applet links on PATH. The
 * cwd matters: hush globs every word with a glob character, `[` too, and
 * glibc's glob(3) then reads the whole cwd (musl takes the unterminated `[`
 * as a literal and does one lstat), so the loops' `[ $i -lt N ]` would slow
 * down natively with the size of, say, /tmp. `dir` holds only bin/.
 */
function nativeRunner(native: NativeBusybox, dir: string, bin: string): ShellRunner {
  return (script, timeoutMs) =>
    spawnSync(native.busybox, ['sh', '-c', script], {
      cwd: dir,
      env: { PATH: bin },
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
}

/** A bin dir with a link to the native busybox for each applet. */
function nativeBin(native: NativeBusybox, dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const applet of native.applets) symlinkSync(native.busybox, join(bin, applet));
  return bin;
}

/** Wall-clock seconds of each of `runs` runs of a command started from node. */
function wallTimes(label: string, cmd: string, args: string[], runs: number): number[] {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, cwd: ROOT });
    const elapsed = (performance.now() - start) / 1000;
    const how = failure(r);
    if (how !== undefined) {
      throw new Error(`${label} ${how}\n--- output ---\n${tail(`${r.stdout}${r.stderr}`)}`);
    }
    seconds.push(elapsed);
  }
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** Best and median rate (amount / seconds) of the runs. */
function rateStats(amount: number, seconds: number[]): Stats {
  return { best: amount / Math.min(...seconds), median: amount / median(seconds) };
}

/** Best and median of times, where smaller is better. */
function timeStats(seconds: number[]): Stats {
  return { best: Math.min(...seconds), median: median(seconds) };
}

function secondsList(seconds: number[]): string {
  return seconds.map((s) => s.toFixed(3)).join(' ');
}

function workloadRow(w: Workload, guest: number[], native: number[]): Row {
  const g = rateStats(w.amount, guest);
  const n = rateStats(w.amount, native);
  return {
    name: w.name,
    unit: w.unit,
    guest: g,
    native: n,
    slowdown: { best: n.best / g.best, median: n.median / g.median },
  };
}

function fmt(x: number): string {
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function printTable(rows: Row[], runs: number): void {
  const head = [
    'workload',
    'unit',
    'guest best',
    'guest median',
    'native best',
    'native median',
    'guest/native time (best, median)',
  ];
  const cells = rows.map((r) => [
    r.name,
    r.unit,
    fmt(r.guest.best),
    fmt(r.guest.median),
    fmt(r.native.best),
    fmt(r.native.median),
    `${fmt(r.slowdown.best)}x, ${fmt(r.slowdown.median)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string =>
    c.map((x, i) => (i < 2 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${runs} run(s) each; rows 1-5 are rates (higher is better), row 6 a time.`);
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      cpus: { type: 'string' },
      // Another image, e.g. with another BusyBox configuration in it.
      initrd: { type: 'string' },
      // The guest's shell for workloads 1-5 (e.g. ash or dash, to weigh
      // which should be /bin/sh); the native side stays BusyBox's hush.
      shell: { type: 'string', default: 'sh' },
    },
  });
  const runs = Number(values.runs);
  // The CLI's --cpus (its default when not given) and --initrd.
  const guestArgs = [
    ...(values.cpus === undefined ? [] : ['--cpus', values.cpus]),
    ...(values.initrd === undefined ? [] : ['--initrd', values.initrd]),
  ];
  console.log(`guest CPUs: ${values.cpus ?? 'the CLI default'}; guest shell: ${values.shell}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a positive integer`);

  const start = performance.now();
  const native = await withStep('native BusyBox (gcc)', buildNativeBusybox, (b) => b.linkage);
  const buildTime = formatDuration(performance.now() - start);
  console.log(`native BusyBox: ${native.busybox} (${native.linkage}; build or cache ${buildTime})`);

  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-busybox-'));
  try {
    const bin = nativeBin(native, dir);
    const sides: [string, ShellRunner, string][] = [
      ['guest', guestRunner(guestArgs, values.shell), '/bin/true'],
      ['native', nativeRunner(native, dir, bin), join(bin, 'true')],
    ];
    const rows: Row[] = [];
    for (const w of workloads()) {
      const [guest, nat] = sides.map(([side, run, truePath]) => {
        const s = measure(side, run, w, runs, truePath);
        console.log(`${side.padEnd(6)} ${w.name}: ${secondsList(s)} s`);
        return s;
      });
      rows.push(workloadRow(w, guest ?? [], nat ?? []));
    }
    rows.push(endToEnd(native, runs, guestArgs));
    printTable(rows, runs);
    console.log(
      '\nrow 6 compares `node bin/wasmlinux.mjs -- true` (node start, boot, /bin/true,\n' +
        'power-off) with starting native `busybox true`, both as wall time from this\n' +
        'node process (spawnSync), in ms.',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Row 6: `npx wasmlinux -- true` against a native `busybox true`, wall time in ms. */
function endToEnd(native: NativeBusybox, runs: number, guestArgs: string[]): Row {
  const cli = join(ROOT, 'bin/wasmlinux.mjs');
  const guest = wallTimes(
    'node bin/wasmlinux.mjs -- true',
    process.execPath,
    [cli, ...guestArgs, '--', 'true'],
    runs,
  );
  console.log(`guest  6 wasmlinux -- true: ${secondsList(guest)} s`);
  const nat = wallTimes(`${native.busybox} true`, native.busybox, ['true'], runs);
  console.log(`native 6 busybox true: ${secondsList(nat)} s`);
  const ms = (s: Stats): Stats => ({ best: s.best * 1000, median: s.median * 1000 });
  const g = timeStats(guest);
  const n = timeStats(nat);
  return {
    name: '6 wasmlinux -- true (wall)',
    unit: 'ms',
    guest: ms(g),
    native: ms(n),
    slowdown: { best: g.best / n.best, median: g.median / n.median },
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
