// Running the real CLI on the real kernel image, for end-to-end tests.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGuestProgram } from '../../tools/build/guest-cc.js';
import { buildProgram } from '../../tools/build/userland.js';
import { writeCpio } from '../../src/core/cpio.js';
import { entriesFromSpec } from '../../tools/initramfs/from-spec.js';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'node', 'cli.js');
export const KERNEL = join(ROOT, 'build', 'vmlinux.wasm');
export const INITRAMFS = join(ROOT, 'build', 'initramfs.cpio');

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** A `wasmlinux ARGS` that is still running: its stdin, and its output as it comes. */
export interface CliRun {
  /** The host process running the machine. */
  pid: number | undefined;
  /** Everything written to stdout so far. */
  stdout(): string;
  /**
   * Resolves once stdout matches re. Rejects, with the output, if the run
   * ends first or after timeoutMs: a generous bound, there only so a hang
   * fails the test; the test waits for the output, not for a time.
   */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  write(text: string | Uint8Array): void;
  /** Close stdin, then wait for the end of the run. */
  finish(): Promise<RunResult>;
}

/**
 * The test runner's passes at other CPU counts (tools/build/main.ts) set
 * WASMLINUX_TEST_CPUS: machines then get that many, unless a test asks
 * for a count of its own.
 */
export function withTestCpus(args: readonly string[]): string[] {
  const cpus = process.env['WASMLINUX_TEST_CPUS'];
  if (!cpus || args.includes('--cpus') || args[0] === 'serve-9p') return [...args];
  return ['--cpus', cpus, ...args];
}

/**
 * Start `wasmlinux ARGS`, killing it after timeoutMs so that a hang fails the
 * test instead of CI. Its stdin stays open until finish().
 */
export function startCli(args: string[], opts: { timeoutMs?: number } = {}): CliRun {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, ...withTestCpus(args)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let ended = false;
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of listeners) l();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A guest that stopped reading must not make write() throw EPIPE.
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const result = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      ended = true;
      changed();
      resolve({ status, signal, stdout, stderr, ms: performance.now() - start, timedOut });
    });
  });
  return {
    pid: child.pid,
    stdout: () => stdout,
    waitForStdout: (re, waitMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(stdout);
          if (!m && !ended) return;
          listeners.delete(check);
          clearTimeout(limit);
          if (m) resolve(m);
          else reject(new Error(`the run ended before ${re}:\n${stdout}\n${stderr}`));
        };
        const limit = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${re} within ${waitMs} ms in:\n${stdout}\n${stderr}`));
        }, waitMs);
        listeners.add(check);
        check();
      }),
    write: (text) => child.stdin.write(text),
    finish: () => {
      child.stdin.end();
      return result;
    },
  };
}

/** Run `wasmlinux ARGS` with the given stdin, killing it after timeoutMs so that a hang fails the test instead of CI. */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; input?: string | Uint8Array } = {},
): Promise<RunResult> {
  const run = startCli(args, opts);
  run.write(opts.input ?? '');
  return run.finish();
}

/**
 * A `sh -c` script that runs cmd between two readings of the guest's own
 * clock (/proc/uptime, CLOCK_BOOTTIME in 1/100 s), for guestTiming. The
 * guest's clock, not the host's: how long a boot takes depends on how busy
 * the host is, but a sleep inside the guest lasts as long as asked.
 */
export function timedInGuest(cmd: string): string {
  return `read a _ < /proc/uptime; ${cmd}; s=$?; read b _ < /proc/uptime; echo "timed $a $b $s"`;
}

/**
 * What a timedInGuest script printed: the time between the readings in
 * hundredths of a second (integers, so 0.70 s compares as exactly 70), and
 * cmd's status.
 */
export function guestTiming(r: RunResult): { hundredths: number; status: number } {
  const m = /^timed (\d+)\.(\d\d) (\d+)\.(\d\d) (\d+)$/m.exec(r.stdout);
  if (!m) throw new Error(`no timing in the guest's output:\n${r.stdout}\n${r.stderr}`);
  const cs = (i: number, f: number): number => Number(m[i]) * 100 + Number(m[f]);
  return { hundredths: cs(3, 4) - cs(1, 2), status: Number(m[5]) };
}

export function haveBuild(): boolean {
  return existsSync(CLI) && existsSync(KERNEL) && existsSync(INITRAMFS);
}

export interface GuestProgram {
  /** Where to build it (a test's temp dir). */
  dir: string;
  name: string;
  /** C and assembly sources after userland/init/crt.S. */
  sources: string[];
  /** Link with a shared memory and the clone entry, so the program can clone. */
  clones?: boolean;
}

/** Build a freestanding guest program (userland/init's crt, sys.h and io.h). */
export async function buildGuestProgram(p: GuestProgram): Promise<string> {
  const out = join(p.dir, p.name);
  const sources = [join(ROOT, 'userland/init/crt.S')];
  if (p.clones) sources.push(join(ROOT, 'userland/init/clone-entry.S'));
  await buildProgram(out, [...sources, ...p.sources], join(ROOT, 'build/include'), p.dir, {
    includes: [join(ROOT, 'userland/init')],
    ldflags: p.clones ? ['--shared-memory', '--export=__wasm_clone_entry'] : [],
  });
  return out;
}

/** An initramfs with /dev/console, the given /init and other files. */
export function writeInitramfs(
  path: string,
  init: string,
  files: Record<string, string> = {},
): string {
  const entries = entriesFromSpec([
    { path: '/dev', type: 'dir', mode: 0o755 },
    { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
    { path: '/init', type: 'file', mode: 0o755, source: init },
    ...Object.entries(files).map(([p, source]) => ({
      path: p,
      type: 'file' as const,
      mode: 0o755,
      source,
    })),
  ]);
  writeFileSync(path, writeCpio(entries));
  return path;
}

/**
 * Compile test/guest/<source> with wasmlinux-cc (musl, -O2) into dir and
 * boot it as /init; returns the program's path and the run.
 */
export async function bootMuslProgram(
  dir: string,
  source: string,
): Promise<{ prog: string; result: RunResult }> {
  const prog = join(dir, 'init');
  await compileGuestProgram(prog, [join(ROOT, 'test/guest', source)], { cflags: ['-O2'] });
  const result = await runCli(['--quiet', '--initrd', writeInitramfs(join(dir, 'i.cpio'), prog)]);
  return { prog, result };
}

/**
 * The built initramfs (our init, BusyBox) plus a second archive with the
 * given files, `{ guest path: [host file, mode] }`; the kernel unpacks both.
 */
export function initramfsPlus(path: string, files: Record<string, [string, number]>): string {
  const extra = writeCpio(
    entriesFromSpec(
      Object.entries(files).map(([p, [source, mode]]) => ({
        path: p,
        type: 'file' as const,
        mode,
        source,
      })),
    ),
  );
  writeFileSync(path, Buffer.concat([readFileSync(INITRAMFS), extra]));
  return path;
}

/**
 * The built initramfs plus musl programs compiled from test/guest:
 * `{ guest path: source file name }`, each built with wasmlinux-cc -O2 into dir.
 */
export async function initramfsWithPrograms(
  dir: string,
  programs: Record<string, string>,
): Promise<string> {
  const files: Record<string, [string, number]> = {};
  for (const [guestPath, source] of Object.entries(programs)) {
    const out = join(dir, basename(guestPath));
    await compileGuestProgram(out, [join(ROOT, 'test/guest', source)], { cflags: ['-O2'] });
    files[guestPath] = [out, 0o755];
  }
  return initramfsPlus(join(dir, 'initrd.cpio'), files);
}

/** The match of re in a run's output; fails the test, showing the output, if there is none. */
export function mustMatch(r: RunResult, re: RegExp): RegExpExecArray {
  const m = re.exec(r.stdout);
  if (!m) throw new Error(`no match for ${re} in the guest's output:\n${r.stdout}\n${r.stderr}`);
  return m;
}
