// Running the real CLI on the real kernel image, for end-to-end tests.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGuestProgram } from '../../tools/build/guest-cc.js';
import { buildProgram } from '../../tools/build/userland.js';
import { writeCpio } from '../../tools/initramfs/cpio.js';
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

/** Run `wasmlinux ARGS`, killing it after timeoutMs so that a hang fails the test instead of CI. */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; input?: string | Uint8Array } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - start, timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
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
