// fork() benchmark (bench/guest/forkrate.c, the same source natively):
//   - fork + _exit + waitpid per second, for a small program and for one
//     with 64 MiB of heap in use (goals: 2000/s small, 10 ms for 64 MiB);
//   - a shell loop of 1000 `x=$(true)` in each shell the image has.
// Times come from the guest's own clock (CLOCK_MONOTONIC), so boot is not
// counted.
//
//   node --import tsx bench/fork.ts [--runs N] [--cpus N] [--initrd IMAGE]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileGuestProgram } from '../tools/build/guest-cc.js';
import { buildNativeBusybox } from './native-busybox.js';
import { writeCpio } from '../src/core/cpio.js';
import { entriesFromSpec } from '../tools/initramfs/from-spec.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(ROOT, 'dist/node/cli.js');

/** [MiB of heap, forks] per case. */
const CASES: readonly (readonly [number, number])[] = [
  [0, 1000],
  [64, 50],
];
/** The shells to time a `$(true)` loop in, if the image has them. */
const SHELLS = ['hush', 'ash', 'dash'] as const;
const LOOP = 1000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ns per fork from "forkrate MIB N NS CHECK" lines, in order. */
function parseRates(out: string): number[] {
  return [...out.matchAll(/^forkrate (\d+) (\d+) (\d+) \d+$/gm)].map(
    (m) => Number(m[3]) / Number(m[2]),
  );
}

function guest(initrd: string, cpus: number, script: string): string {
  const r = spawnSync(
    process.execPath,
    [CLI, '--quiet', '--cpus', String(cpus), '--initrd', initrd, '--', 'sh', '-c', script],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`guest run failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function native(prog: string, args: readonly string[]): string {
  const r = spawnSync(prog, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native ${prog} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** ms for LOOP `$(true)` in `shell` (a command line), timed by the guest. */
function shellLoop(initrd: string, cpus: number, shell: string): number | null {
  const loop = `i=0; while [ $i -lt ${LOOP} ]; do x=$(true); i=$((i+1)); done`;
  const out = guest(
    initrd,
    cpus,
    `command -v ${shell.split(' ')[0]} >/dev/null || exit 0; forkrate now; ${shell} -c '${loop}'; forkrate now`,
  );
  const t = out.trim().split('\n').map(Number);
  if (t.length !== 2) return null;
  return (t[1]! - t[0]!) / 1e6;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      cpus: { type: 'string', default: '2' },
      // The image to add the program to (default: the build's).
      initrd: { type: 'string', default: join(ROOT, 'build/initramfs.cpio') },
    },
  });
  const runs = Number(values.runs);
  const cpus = Number(values.cpus);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-fork-'));
  try {
    const src = join(ROOT, 'bench/guest/forkrate.c');
    const guestProg = join(dir, 'forkrate.wasm');
    await compileGuestProgram(guestProg, [src], { cflags: ['-O2'] });
    const initrd = join(dir, 'initrd.cpio');
    const extra = writeCpio(
      entriesFromSpec([{ path: '/bin/forkrate', type: 'file', mode: 0o755, source: guestProg }]),
    );
    writeFileSync(initrd, Buffer.concat([readFileSync(values.initrd), extra]));
    const nativeProg = join(dir, 'forkrate-native');
    const cc = spawnSync('cc', ['-O2', '-o', nativeProg, src], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);

    console.log(`fork + _exit + waitpid, ${runs} runs, --cpus ${cpus} (medians)`);
    console.log(
      `${'heap'.padEnd(8)} ${'guest µs'.padStart(10)} ${'guest /s'.padStart(9)} ${'native µs'.padStart(10)} ${'ratio'.padStart(7)}`,
    );
    const script = CASES.map(([mib, n]) => `forkrate ${mib} ${n}`).join('; ');
    const g: number[][] = CASES.map(() => []);
    const nat: number[][] = CASES.map(() => []);
    for (let i = 0; i < runs; i++) {
      parseRates(guest(initrd, cpus, script)).forEach((ns, k) => g[k]!.push(ns));
      CASES.forEach(([mib, n], k) => {
        nat[k]!.push(parseRates(native(nativeProg, [String(mib), String(n)]))[0]!);
      });
    }
    CASES.forEach(([mib], k) => {
      const gu = median(g[k]!) / 1000;
      const nu = median(nat[k]!) / 1000;
      console.log(
        `${`${mib} MiB`.padEnd(8)} ${gu.toFixed(0).padStart(10)} ${(1e6 / gu).toFixed(0).padStart(9)} ${nu.toFixed(0).padStart(10)} ${(gu / nu).toFixed(2).padStart(6)}x`,
      );
    });

    // Natively: the host's BusyBox build (hush forks there) and Debian's dash.
    const nb = await buildNativeBusybox();
    const nativeShell: Record<(typeof SHELLS)[number], readonly string[] | null> = {
      hush: [nb.busybox, 'hush'],
      ash: nb.applets.includes('ash') ? [nb.busybox, 'ash'] : null,
      dash: spawnSync('sh', ['-c', 'command -v dash']).status === 0 ? ['dash'] : null,
    };
    console.log(`\n${LOOP} x=$(true) in a shell loop (ms, medians)`);
    console.log(
      `${'shell'.padEnd(8)} ${'guest'.padStart(8)} ${'native'.padStart(8)} ${'ratio'.padStart(7)}`,
    );
    const loop = `i=0; while [ $i -lt ${LOOP} ]; do x=$(true); i=$((i+1)); done`;
    for (const shell of SHELLS) {
      const cmd = shell === 'hush' ? 'busybox hush' : shell;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const ms = shellLoop(initrd, cpus, cmd);
        if (ms !== null) times.push(ms);
      }
      const nat = nativeShell[shell];
      const nativeTimes: number[] = [];
      for (let i = 0; nat && i < runs; i++) {
        const t0 = process.hrtime.bigint();
        native(nat[0]!, [...nat.slice(1), '-c', loop]);
        nativeTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const gm = times.length ? median(times) : null;
      const nm = nativeTimes.length ? median(nativeTimes) : null;
      console.log(
        `${shell.padEnd(8)} ${(gm === null ? 'absent' : gm.toFixed(0)).padStart(8)} ${(nm === null ? '-' : nm.toFixed(0)).padStart(8)} ${(gm !== null && nm !== null ? `${(gm / nm).toFixed(2)}x` : '-').padStart(7)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
