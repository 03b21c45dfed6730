// wasmlinux-cc: compile and link C programs for the wasmlinux guest.
//
//   wasmlinux-cc -o prog a.c b.c [-O2] [-g] [-Idir] [-DX=1] [-Wall] [-lfoo] [-Wl,...]
//   wasmlinux-cc -c a.c [-o a.o]
//
// Programs are built with stock clang-19 / wasm-ld-19 against the musl
// sysroot that `npm run build` makes (build/sysroot, see musl.ts): musl's
// headers come first, then the kernel's UAPI headers, then clang's own; the
// link is crt1.o + the objects + libc.a + compiler-rt's builtins, into a
// module that imports its memory ("env" "memory") and "linux" "syscall" and
// exports _start, as the kernel's binfmt_wasm wants. bin/wasmlinux-cc runs
// this file; tests call compileGuestProgram().

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUserInvoke } from '../../src/core/abi.js';
import { planAsyncify } from '../wasm/asyncify-list.js';
import { instrumentLoops } from '../wasm/preempt.js';
import { readModule, type WasmModule } from '../../src/core/wasm/reader.js';
import { buildDir } from './paths.js';
import { describeExit, runProcess } from './process.js';
import { formatCommand } from './progress.js';

export const GUEST_TARGET = '--target=wasm32-unknown-unknown';
const CC = 'clang-19';
const LD = 'wasm-ld-19';
const STRIP = 'llvm-strip-19';
const NM = 'llvm-nm-19';

/** The most memory a program may grow to (a shared memory needs a maximum). */
const MAX_MEMORY = 1 << 30;

/** The stack starts at the top of the initial memory and grows down towards the data. */
export const DEFAULT_STACK_SIZE = 8 << 20;

export interface GuestCcOptions {
  /** The sysroot (include/ and lib/); default build/sysroot. */
  sysroot?: string;
  /** Extra compiler flags: -O2, -g, -I…, -D…, -W…, -std=… */
  cflags?: readonly string[];
  /** Extra linker arguments after the objects: -L…, -l…, wasm-ld flags. */
  ldflags?: readonly string[];
  /** Compile only: `out` is the object file and there must be one source. */
  compileOnly?: boolean;
  /** Print each command to stderr. */
  verbose?: boolean;
  /** Let the compiler's and linker's diagnostics through to this process's stderr. */
  inheritOutput?: boolean;
  /**
   * Poll for preemption in every loop (default true; tools/wasm/preempt.ts).
   * Only bench/preempt.ts turns it off, to measure what it costs.
   */
  preemptChecks?: boolean;
}

/** A failed compile or link: the message has the command and its diagnostics. */
export class GuestCcError extends Error {
  readonly output: string;

  constructor(message: string, output = '') {
    super(output ? `${message}\n${output.trimEnd()}` : message);
    this.name = 'GuestCcError';
    this.output = output;
  }
}

export function defaultSysroot(): string {
  return join(buildDir(), 'sysroot');
}

let resourceDir: string | undefined;

/** clang's own headers (stdarg.h, intrinsics), searched after the sysroot's. */
function clangResourceDir(): string {
  if (resourceDir === undefined) {
    const r = spawnSync(CC, ['-print-resource-dir'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new GuestCcError(
        `${CC} not found or not working (${r.error?.message ?? r.stderr.trim()}); ` +
          'install clang-19 (npm run build does this as root)',
      );
    }
    resourceDir = r.stdout.trim();
  }
  return resourceDir;
}

function checkSysroot(sysroot: string): void {
  for (const need of ['include/stdio.h', 'lib/libc.a', 'lib/crt1.o']) {
    if (!existsSync(join(sysroot, need))) {
      throw new GuestCcError(
        `no musl sysroot at ${sysroot} (${need} is missing): run \`npm run build\` first`,
      );
    }
  }
}

/**
 * Run a tool; with `capture`, resolve with its stdout (else its output goes
 * to our stderr with inheritOutput, or into the error if it fails).
 */
async function exec(
  cmd: string,
  args: readonly string[],
  opts: GuestCcOptions,
  capture = false,
): Promise<string> {
  const line = formatCommand(cmd, args);
  if (opts.verbose) process.stderr.write(`${line}\n`);
  let stdout = '';
  let output = '';
  const exit = await runProcess(cmd, args, {
    stdio: [
      // `-E -` reads the source from stdin.
      opts.inheritOutput ? 'inherit' : 'ignore',
      capture || !opts.inheritOutput ? 'pipe' : 'inherit',
      opts.inheritOutput ? 'inherit' : 'pipe',
    ],
    stdout: (d) => {
      if (capture) stdout += d.toString('utf8');
      else output += d.toString('utf8');
    },
    stderr: (d) => (output += d.toString('utf8')),
  });
  if (exit.code === 0) return stdout;
  if (exit.error) throw new GuestCcError(`${cmd} ${describeExit(exit)}`);
  // A compiler's way of saying it (what users and tests look for).
  const how = exit.signal ? `was killed by ${exit.signal}` : `failed (exit status ${exit.code})`;
  throw new GuestCcError(`${basename(cmd)} ${how}: ${line}`, output);
}

/**
 * musl 1.2.3's functions that make indirect calls which never lead to vfork:
 * stdio calling its own read/write/seek/close back ends (or fopencookie's),
 * sorting and searching calling comparisons, the resolver, netlink and
 * thread internals, posix_spawn's child calling execve. Without this, the
 * type-based plan (tools/wasm/asyncify-list.ts) sees e.g. fclose's
 * `f->close(f)` as a possible call of a shell builtin of the same type, and
 * instruments much of the program for nothing (in BusyBox 540 of 1011
 * functions, against 79 with this list). Not trusted, because a program's
 * callback could vfork:
 * nftw's, and atexit handlers (__funcs_on_exit). From `llvm-objdump -d
 * libc.a`, the functions that contain call_indirect.
 */
const MUSL_TRUSTED_INDIRECT: readonly string[] = [
  // stdio (with the aliases a linked program may name them by)
  '__fclose_ca',
  '__fseeko',
  '__fseeko_unlocked',
  '__ftello',
  '__ftello_unlocked',
  '__fwritex',
  '__overflow',
  '__stdio_exit',
  '__stdio_exit_needed',
  '__toread',
  '__uflow',
  'fclose',
  'fflush',
  'fflush_unlocked',
  'fread',
  'fread_unlocked',
  'fseek',
  'fseeko',
  'fseeko64',
  'ftell',
  'ftello',
  'ftello64',
  'vfprintf',
  'cookieclose',
  'cookieread',
  'cookieseek',
  'cookiewrite',
  // sorting and searching
  'sift',
  'trinkle',
  'wrapper_cmp',
  'bsearch',
  'lfind',
  'lsearch',
  'tdelete',
  'tfind',
  'tsearch',
  'tdestroy',
  'walk',
  'scandir',
  'scandir64',
  'do_glob',
  // internals
  '__dns_parse',
  '__netlink_enumerate',
  '__synccall',
  '__pthread_tsd_run_dtors',
  '__fork_handler',
  '_pthread_cleanup_pop',
  'pthread_exit',
  '__pthread_once_full',
  'call',
  'start',
  'start_c11',
  'wait_thread',
  'handler',
  'cleanup',
  'static_dl_iterate_phdr',
  'child',
  'libc_exit_fini',
];

/** Names the program's own objects define: a musl name there is not musl's. */
async function definedOutsideLibc(
  inputs: readonly string[],
  opts: GuestCcOptions,
): Promise<Set<string>> {
  const files = inputs.filter((f) => existsSync(f));
  if (files.length === 0) return new Set();
  const out = await exec(NM, ['--defined-only', '--just-symbol-name', ...files], opts, true);
  return new Set(
    out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.endsWith(':')),
  );
}

/** binaryen's wasm-opt, from the npm package (it runs on node). */
export function wasmOptPath(): string {
  const pkg = createRequire(import.meta.url).resolve('binaryen/package.json');
  return join(dirname(pkg), 'bin', 'wasm-opt');
}

/** The functions that start an unwind: vfork(), and fork()'s system call (vfork.c). */
const ASYNCIFY_ROOTS = ['vfork', '__wasm_fork'];

/**
 * The wasm-opt run that makes vfork work (docs/vfork.md): instrument only
 * the functions that can reach vfork(), found by planAsyncify from the
 * module's call graph; system calls never unwind. Asyncify goes first so
 * that vfork is still a call of its own when it runs; the optimiser then
 * cleans up after it.
 */
function asyncifyArgs(
  mod: WasmModule,
  input: string,
  out: string,
  strip: boolean,
  opts: GuestCcOptions,
  ownNames: ReadonlySet<string>,
): string[] {
  const trustedIndirect = new Set(MUSL_TRUSTED_INDIRECT.filter((n) => !ownNames.has(n)));
  const plan = planAsyncify(mod, ASYNCIFY_ROOTS, { trustedIndirect });
  const add = plan.addList;
  if (opts.verbose) {
    process.stderr.write(
      `asyncify: ${plan.reaching} of ${plan.defined} functions can reach vfork or fork; ` +
        `${plan.addList.length} make indirect calls on the way\n`,
    );
  }
  // Without usable names, let Asyncify assume every indirect call may
  // unwind: slower, but never wrong.
  const indirect = plan.problem === null ? ['--pass-arg=asyncify-ignore-indirect'] : [];
  if (plan.problem !== null) {
    process.stderr.write(
      `wasmlinux-cc: note: instrumenting all indirect calls for vfork (${plan.problem})\n`,
    );
  }
  return [
    wasmOptPath(),
    input,
    ...(strip ? [] : ['-g']),
    '--asyncify',
    // System calls never unwind; a setjmp caller's calls through the host
    // can (docs/setjmp.md).
    plan.unwindingImports.length > 0
      ? `--pass-arg=asyncify-imports@${plan.unwindingImports.join(',')}`
      : '--pass-arg=asyncify-ignore-imports',
    ...indirect,
    ...(add.length > 0 && indirect.length > 0
      ? [`--pass-arg=asyncify-addlist@${add.join(',')}`, '--pass-arg=asyncify-propagate-addlist']
      : []),
    '-O2',
    '-o',
    out,
  ];
}

type SourceKind = 'c' | 'asm' | 'input';

function sourceKind(file: string): SourceKind {
  const ext = extname(file);
  if (ext === '.c') return 'c';
  if (ext === '.S' || ext === '.s') return 'asm';
  if (ext === '.o' || ext === '.a') return 'input';
  if (['.cc', '.cpp', '.cxx', '.C'].includes(ext)) {
    throw new GuestCcError(`${file}: C++ is not supported yet (there is no C++ library)`);
  }
  throw new GuestCcError(`${file}: unknown file type (expected .c, .S, .s, .o or .a)`);
}

/** The compiler flags for guest code against `sysroot`. */
export function guestCflags(sysroot: string): string[] {
  return [
    GUEST_TARGET,
    // wasm32-unknown-unknown defines no OS macros; the guest is Linux, and
    // programs test these to pick Linux paths (BusyBox's <sys/sysinfo.h>).
    // Not `linux`/`unix`: native compilers drop those under -std=c99 etc.
    '-D__linux__',
    '-D__linux',
    '-D__unix__',
    '-D__unix',
    '-matomics',
    '-mbulk-memory',
    // setjmp/longjmp (docs/setjmp.md): only functions that call setjmp
    // change, and only calls to longjmp elsewhere.
    '-mllvm',
    '-enable-emscripten-sjlj',
    '-nostdinc',
    '-isystem',
    join(sysroot, 'include'),
    '-isystem',
    join(clangResourceDir(), 'include'),
  ];
}

/**
 * Put the finished program at out. Configure scripts (BusyBox's among them)
 * link test programs to /dev/null: a file that is not a regular one is only
 * written to, never replaced or chmod'ed, since renaming over /dev/null or
 * changing its mode breaks the whole host (as root, which builds run as).
 */
function deliver(result: string, out: string): void {
  let st;
  try {
    st = statSync(out);
  } catch {
    st = null;
  }
  if (st && !st.isFile()) {
    writeFileSync(out, readFileSync(result));
    return;
  }
  copyFileSync(result, out);
  chmodSync(out, 0o755);
}

/** Compile (and unless compileOnly, link) `sources` into `out`. */
export async function compileGuestProgram(
  out: string,
  sources: readonly string[],
  opts: GuestCcOptions = {},
): Promise<void> {
  if (sources.length === 0) throw new GuestCcError('no input files');
  const sysroot = resolve(opts.sysroot ?? defaultSysroot());
  checkSysroot(sysroot);
  const base = [...guestCflags(sysroot), ...(opts.cflags ?? [])];
  const kinds = sources.map(sourceKind);
  if (opts.compileOnly) {
    const src = sources[0];
    if (sources.length !== 1 || src === undefined || kinds[0] === 'input') {
      throw new GuestCcError('-c with -o takes exactly one .c, .S or .s file');
    }
    await exec(CC, [...base, '-c', src, '-o', out], opts);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wasmlinux-cc-'));
  try {
    const inputs: string[] = [];
    for (const [i, src] of sources.entries()) {
      if (kinds[i] === 'input') {
        inputs.push(src);
        continue;
      }
      const obj = join(tmp, `${i}-${basename(src, extname(src))}.o`);
      await exec(CC, [...base, '-c', src, '-o', obj], opts);
      inputs.push(obj);
    }
    const lib = join(sysroot, 'lib');
    // A vfork() program is linked to a temporary file, then run through
    // Asyncify; which programs those are is only known after the link.
    const strip = (opts.ldflags ?? []).includes('--strip-all');
    const linked = join(tmp, 'linked.wasm');
    await exec(
      LD,
      [
        join(lib, 'crt1.o'),
        ...inputs,
        `-L${lib}`,
        // Asyncify finds functions by name, so strip only after it.
        ...(opts.ldflags ?? []).filter((f) => f !== '--strip-all'),
        '-lc',
        '-lclang_rt.builtins',
        '--import-memory',
        // Shared, so that clone()d children (posix_spawn) run on it too.
        '--shared-memory',
        `--max-memory=${MAX_MEMORY}`,
        '--no-entry',
        '--export=_start',
        '--export=__wasm_clone_entry',
        // Signal handlers (crt1.c): the entry, and the stack to run them on.
        '--export=__wasm_sigentry',
        '--export=__stack_pointer',
        // A fork copies no dead stack (src/core/process-memory.ts).
        '--export=__stack_low',
        '--export=__stack_high',
        // A setjmp caller's env.invoke_* imports call through the table:
        // exported, wasm-opt does not take the table's only callers to be
        // the call_indirects it sees (it made a function that a program
        // called only through an invoke `unreachable`).
        '--export-table',
        // Loops poll for preemption through this (tools/wasm/preempt.ts).
        '--export=__wasm_preempt',
        // Data from 1 KiB up: the word the loops poll is below (at 512).
        '--global-base=1024',
        '-z',
        `stack-size=${DEFAULT_STACK_SIZE}`,
        '-o',
        linked,
      ],
      opts,
    );
    let bytes: Uint8Array = readFileSync(linked);
    if (opts.preemptChecks ?? true) {
      const preempt = instrumentLoops(bytes);
      bytes = preempt.bytes;
      writeFileSync(linked, bytes);
      if (opts.verbose) process.stderr.write(`preempt: ${preempt.loops} loops polled\n`);
    }
    const mod = readModule(bytes);
    const result = join(tmp, 'out.wasm');
    if (mod.imports.some((i) => i.module === 'asyncify')) {
      const own = await definedOutsideLibc(inputs, opts);
      await exec(process.execPath, asyncifyArgs(mod, linked, result, strip, opts, own), opts);
    } else if (strip) {
      await exec(STRIP, ['--strip-all', '-o', result, linked], opts);
    } else {
      copyFileSync(linked, result);
    }
    // A setjmp caller's env.invoke_* imports become the program's own
    // functions, after Asyncify (tools/wasm/invokes.ts, docs/setjmp.md).
    // binaryen's JS takes seconds to load: only for a program that needs it.
    if (mod.imports.some((i) => isUserInvoke(i.module, i.name))) {
      const { inlineInvokes } = await import('../wasm/invokes.js');
      const inlined = inlineInvokes(readFileSync(result), !strip);
      writeFileSync(result, inlined.bytes);
      if (opts.verbose) process.stderr.write(`invokes: ${inlined.invokes} made functions\n`);
    }
    deliver(result, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ParsedArgs {
  out: string | undefined;
  sources: string[];
  cflags: string[];
  ldflags: string[];
  compileOnly: boolean;
  /** -E: preprocess only, to -o's file or stdout. */
  preprocessOnly: boolean;
  verbose: boolean;
  sysroot: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: wasmlinux-cc [options] file...
Compile and link C programs for wasmlinux guests (musl, wasm32).

  -o FILE        output (default a.out, or FILE.o with -c)
  -c             compile only
  -E             preprocess only (to stdout, or -o FILE)
  -x c           treat the following files as C
  -O<n>, -g, -W<warning>, -w, -std=..., -f..., -m..., -pedantic
  -I DIR, -D NAME[=VAL], -U NAME, -include FILE, -isystem DIR
                 passed to clang
  -L DIR, -l LIB passed to the linker (libc and compiler-rt come last)
  -Wl,ARG[,ARG]  passed to wasm-ld
  -s             strip the output
  -static, -pthread
                 accepted; programs are always static, and libpthread is
                 part of libc
  --sysroot=DIR  the musl sysroot (default: build/sysroot of this checkout)
  -v             print the commands
  -h, --help     this text
`;

/** Parse a cc-style command line. Throws GuestCcError for what it does not understand. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const p: ParsedArgs = {
    out: undefined,
    sources: [],
    cflags: [],
    ldflags: [],
    compileOnly: false,
    preprocessOnly: false,
    verbose: false,
    sysroot: undefined,
    help: false,
  };
  const withValue = (flag: string, i: number): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new GuestCcError(`${flag} needs an argument`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-o') p.out = withValue(a, i++);
    else if (a.startsWith('-o') && a.length > 2) p.out = a.slice(2);
    else if (a === '-c') p.compileOnly = true;
    else if (a === '-E') p.preprocessOnly = true;
    // Only C: `-x c` lets a file of another name be preprocessed as C.
    else if (a === '-x' || a.startsWith('-x')) {
      const lang = a === '-x' ? withValue(a, i++) : a.slice(2);
      if (lang !== 'c' && lang !== 'none') {
        throw new GuestCcError(`-x ${lang}: only C is supported`);
      }
      p.cflags.push('-x', lang);
    } else if (a === '-v') p.verbose = true;
    else if (a === '-h' || a === '--help') p.help = true;
    else if (a === '-static' || a === '-pthread') continue;
    else if (a === '-s') p.ldflags.push('--strip-all');
    else if (a.startsWith('--sysroot=')) p.sysroot = a.slice('--sysroot='.length);
    else if (a.startsWith('-Wl,')) p.ldflags.push(...a.slice(4).split(',').filter(Boolean));
    else if (a === '-L' || a === '-l') p.ldflags.push(a + withValue(a, i++));
    else if (a.startsWith('-L') || a.startsWith('-l')) p.ldflags.push(a);
    else if (['-I', '-D', '-U', '-include', '-isystem'].includes(a)) {
      p.cflags.push(a, withValue(a, i++));
    } else if (/^-(I|D|U|O|g|W|w$|std=|f|m|pedantic)/.test(a)) p.cflags.push(a);
    else if (a.startsWith('-')) {
      throw new GuestCcError(
        `unsupported option ${a} (wasmlinux-cc --help lists the supported ones)`,
      );
    } else p.sources.push(a);
  }
  return p;
}

/** The command-line tool: returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const p = parseArgs(argv);
    if (p.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (p.sources.length === 0) throw new GuestCcError('no input files (try --help)');
    if (p.preprocessOnly) {
      const sysroot = resolve(p.sysroot ?? defaultSysroot());
      checkSysroot(sysroot);
      await exec(
        CC,
        [
          ...guestCflags(sysroot),
          ...p.cflags,
          '-E',
          ...p.sources,
          ...(p.out === undefined ? [] : ['-o', p.out]),
        ],
        { verbose: p.verbose, inheritOutput: true },
      );
      return 0;
    }
    const first = p.sources[0] ?? '';
    const out = p.out ?? (p.compileOnly ? `${basename(first, extname(first))}.o` : 'a.out');
    await compileGuestProgram(out, p.sources, {
      sysroot: p.sysroot,
      cflags: p.cflags,
      ldflags: p.ldflags,
      compileOnly: p.compileOnly,
      verbose: p.verbose,
      inheritOutput: true,
    });
    return 0;
  } catch (err) {
    if (!(err instanceof GuestCcError)) throw err;
    // With inherited output, clang has already printed its diagnostics.
    process.stderr.write(`wasmlinux-cc: ${err.message.split('\n')[0] ?? ''}\n`);
    return 1;
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  process.exitCode = await main(process.argv.slice(2));
}
