// musl, the C library of wasmlinux user programs.
//
// The source is Debian's `musl` source package (the upstream 1.2.3 tarball),
// fetched with `apt-get source --download-only` through a private apt setup
// (its own sources.list, lists and cache in a temp dir), so the system's apt
// configuration is never touched. The upstream tarball is pinned by sha256.
//
// Three cache entries, each keyed by everything it is made from:
//   musl-tree/<key>     the extracted source + userland/musl (overlay and
//                       patches) + bits/syscall.h.in generated from the
//                       kernel's unistd_32.h
//   musl-lib/<key>      libc.a, crt1.o and the installed musl headers, built
//                       out of tree with clang-19 for wasm32
//   musl-sysroot/<key>  musl-lib plus the kernel's UAPI headers and
//                       compiler-rt's wasm32 builtins: what guest-cc.ts
//                       compiles and links against
// build/sysroot is a symlink to the current sysroot.

import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { USER_PREEMPT_ADDR } from '../../src/core/abi.js';
import { isRoot } from './apt.js';
import { cachedDir, hashInputs } from './cache.js';
import type { KernelArtifacts } from './kernel.js';
import { readSeries, sha256File } from './kernel-source.js';
import { buildDir, cacheRoot, repoRoot } from './paths.js';
import { BuildError, info, run, runCapture } from './progress.js';

/** A Debian source package whose upstream tarball a build uses, pinned by sha256. */
export interface DebianSource {
  readonly package: string;
  /** The Debian version (with its epoch, if any) that `apt-get source` asks for. */
  readonly version: string;
  /** The Debian release whose deb-src the private apt setup reads. */
  readonly suite: string;
  readonly mirror: string;
  /** The upstream tarball's name in the source package. */
  readonly orig: string;
  readonly sha256: string;
  /** Where a maintainer updates the pin, for error messages. */
  readonly pinnedIn: string;
  /** Where the patches that must still apply live, for error messages (none: built as it comes). */
  readonly patchesDir?: string;
}

export const MUSL_SOURCE: DebianSource = {
  package: 'musl',
  version: '1.2.3-1',
  /** The Debian release whose deb-src the private apt setup reads. */
  suite: 'bookworm',
  mirror: 'http://deb.debian.org/debian',
  orig: 'musl_1.2.3.orig.tar.gz',
  sha256: '7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4',
  pinnedIn: 'MUSL_SOURCE in tools/build/musl.ts',
  patchesDir: 'userland/musl/patches/',
};

/** compiler-rt's builtins for wasm32 (long double arithmetic, 128-bit integer helpers). */
export const WASM_BUILTINS = {
  package: 'libclang-rt-19-dev-wasm32',
  file: '/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a',
  /** Its name in the sysroot's lib/, so that -lclang_rt.builtins finds it. */
  name: 'libclang_rt.builtins.a',
} as const;

/** Flags every musl object is compiled with (besides musl's own -std=c99 -nostdinc -ffreestanding). */
export const MUSL_CFLAGS = [
  '--target=wasm32-unknown-unknown',
  // Programs link with a shared memory so that clone() children can use it.
  '-matomics',
  '-mbulk-memory',
  // The word every loop polls (crt1.c's __wasm_preempt), from the one
  // definition the host checks against the kernel's at load.
  `-DWASM_USER_PREEMPT_ADDR=${USER_PREEMPT_ADDR}`,
  '-O2',
  '-pipe',
  '-ffunction-sections',
  '-fdata-sections',
  // The checks musl's configure turns into errors.
  '-Werror=implicit-function-declaration',
  '-Werror=implicit-int',
  '-Werror=pointer-sign',
  '-Werror=pointer-arith',
  '-Werror=int-conversion',
  '-Werror=incompatible-pointer-types',
  // Style warnings clang gives on musl's code, as musl's configure silences them.
  '-Wno-parentheses',
  '-Wno-shift-op-parentheses',
  '-Wno-bitwise-op-parentheses',
  '-Wno-logical-op-parentheses',
  '-Wno-string-plus-int',
  '-Wno-dangling-else',
  '-Wno-unknown-pragmas',
  '-Wno-ignored-pragmas',
  '-Wno-ignored-attributes',
  '-Wno-tautological-constant-out-of-range-compare',
  '-Wno-deprecated-non-prototype',
] as const;

/** What make builds: the library, our crt1, and musl's empty libm/libpthread/... */
const MAKE_TARGETS = [
  'lib/libc.a',
  'lib/crt1.o',
  ...['m', 'rt', 'pthread', 'crypt', 'util', 'xnet', 'resolv', 'dl'].map((l) => `lib/lib${l}.a`),
];

export interface MuslArtifacts {
  /** include/ (musl + kernel UAPI headers) and lib/ (crt1.o, libc.a, builtins). */
  sysroot: string;
}

export function muslOverlayDir(): string {
  return join(repoRoot(), 'userland', 'musl');
}

function origPath(src: DebianSource): string {
  return join(cacheRoot(), 'downloads', src.orig);
}

function pinGoneError(src: DebianSource): BuildError {
  const { package: pkg, version, suite } = src;
  return new BuildError(
    `${pkg}=${version} (the pinned ${pkg} source) is not in Debian ${suite}'s deb-src any more.\n` +
      `  To move the pin, pick a version from Debian's archive, download it with\n` +
      `    apt-get source --download-only ${pkg}=<version>\n` +
      `  then update ${src.pinnedIn} (version, orig, sha256)` +
      (src.patchesDir ? ` and check that\n  ${src.patchesDir} still apply.` : '.'),
  );
}

/**
 * apt-get with a private configuration in `dir`: its own sources.list
 * (deb-src only), package lists and cache, nothing from /etc/apt/sources.list*.
 */
function privateAptArgs(dir: string): string[] {
  return [
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/nonexistent',
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    '-o',
    'Acquire::Languages=none',
    // As root apt would drop to _apt for downloads, which cannot write here.
    ...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []),
  ];
}

/** The sha256 the .dsc gives for the orig tarball, or undefined if it does not list it. */
export function dscOrigSha256(dsc: string, orig: string): string | undefined {
  const lines = dsc.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Checksums-Sha256:'));
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ')) break;
    const [sum, , name] = line.trim().split(/\s+/);
    if (name === orig) return sum;
  }
  return undefined;
}

async function aptSourceDownload(src: DebianSource, dest: string): Promise<void> {
  const { package: pkg, version, suite, mirror } = src;
  const apt = join(dest, '.apt');
  for (const d of ['lists/partial', 'cache/archives/partial']) {
    mkdirSync(join(apt, d), { recursive: true });
  }
  writeFileSync(join(apt, 'sources.list'), `deb-src ${mirror} ${suite} main\n`);
  const opts = privateAptArgs(apt);
  await run('apt-get', [...opts, 'update'], { label: `apt-get update (${pkg} deb-src)` });
  try {
    await run('apt-get', [...opts, 'source', '--download-only', `${pkg}=${version}`], {
      cwd: dest,
      label: `apt-get source ${pkg}`,
    });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    const gone = err.logTail.some((l) =>
      /Can not find version|Unable to find a source package|Can't find a source/i.test(l),
    );
    throw gone ? pinGoneError(src) : err;
  }
  rmSync(apt, { recursive: true, force: true });
}

/** The pinned, sha256-verified upstream tarball of `src` in `<cacheRoot>/downloads/`. */
export async function ensureDebianSource(src: DebianSource): Promise<string> {
  const final = origPath(src);
  if (!existsSync(final)) {
    const dir = join(cacheRoot(), 'downloads');
    const tmp = join(dir, `.${src.package}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await aptSourceDownload(src, tmp);
      const dscName = readdirSync(tmp).find((n) => n.endsWith('.dsc'));
      if (!dscName) throw new BuildError(`apt-get source left no .dsc file in ${tmp}`);
      const listed = dscOrigSha256(readFileSync(join(tmp, dscName), 'utf8'), src.orig);
      if (listed === undefined) {
        throw new BuildError(
          `${dscName} does not list ${src.orig}: the Debian package changed its upstream source.\n` +
            `  Update ${src.pinnedIn}.`,
        );
      }
      if (listed !== src.sha256) {
        throw new BuildError(
          `${dscName} gives ${src.orig} the sha256 ${listed}, not the pinned ${src.sha256}.\n` +
            `  If Debian really changed the upstream tarball, update ${src.pinnedIn}.`,
        );
      }
      if (!existsSync(join(tmp, src.orig))) {
        throw new BuildError(`apt-get source did not download ${src.orig}`);
      }
      renameSync(join(tmp, src.orig), final);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const actual = await sha256File(final);
  if (actual !== src.sha256) {
    rmSync(final, { force: true });
    throw new BuildError(
      `sha256 mismatch for ${src.orig} (the file was deleted; a rerun downloads it again)\n` +
        `  expected: ${src.sha256}\n  actual:   ${actual}`,
    );
  }
  return final;
}

/** The pinned, sha256-verified musl tarball in `<cacheRoot>/downloads/`. */
export function ensureMuslSource(): Promise<string> {
  return ensureDebianSource(MUSL_SOURCE);
}

/**
 * The 32-bit-time system calls and their 64-bit-time twins. The kernel is
 * built without COMPAT_32BIT_TIME, so the old ones are ENOSYS although
 * unistd_32.h numbers them. Giving each old name its twin's number makes
 * musl see `SYS_x == SYS_x_time64`, its test for a time64-only port, and use
 * the twin always; otherwise it calls the old one whenever the time fits in
 * 32 bits (`sleep 1` returned at once, `touch` failed with ENOSYS).
 */
const TIME64_TWIN: Record<string, string> = {
  clock_gettime: 'clock_gettime64',
  clock_settime: 'clock_settime64',
  clock_adjtime: 'clock_adjtime64',
  clock_getres: 'clock_getres_time64',
  clock_nanosleep: 'clock_nanosleep_time64',
  timer_gettime: 'timer_gettime64',
  timer_settime: 'timer_settime64',
  timerfd_gettime: 'timerfd_gettime64',
  timerfd_settime: 'timerfd_settime64',
  utimensat: 'utimensat_time64',
  pselect6: 'pselect6_time64',
  ppoll: 'ppoll_time64',
  recvmmsg: 'recvmmsg_time64',
  mq_timedsend: 'mq_timedsend_time64',
  mq_timedreceive: 'mq_timedreceive_time64',
  rt_sigtimedwait: 'rt_sigtimedwait_time64',
  futex: 'futex_time64',
  sched_rr_get_interval: 'sched_rr_get_interval_time64',
};

/**
 * bits/syscall.h.in for musl from the kernel's asm/unistd_32.h, so the
 * numbers can never disagree with the kernel. musl calls llseek `_llseek`.
 */
export function syscallHeaderIn(unistd32: string): string {
  const rename: Record<string, string> = { llseek: '_llseek' };
  const numbers = new Map<string, string>();
  for (const line of unistd32.split('\n')) {
    const m = /^#define __NR_(\w+)\s+(\d+)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) numbers.set(m[1], m[2]);
  }
  const out: string[] = [];
  for (const [name, nr] of numbers) {
    const twin = TIME64_TWIN[name];
    const twinNr = twin === undefined ? undefined : numbers.get(twin);
    out.push(`#define __NR_${rename[name] ?? name} ${twinNr ?? nr}`);
  }
  if (out.length < 100) throw new BuildError('the kernel unistd_32.h lists too few system calls');
  return out.join('\n') + '\n';
}

/** Copy the overlay (everything in userland/musl but patches/) over the tree. */
function copyOverlay(src: string, dest: string, top = true): number {
  let n = 0;
  for (const name of readdirSync(src)) {
    if (top && name === 'patches') continue;
    const from = join(src, name);
    const to = join(dest, name);
    if (lstatSync(from).isDirectory()) {
      mkdirSync(to, { recursive: true });
      n += copyOverlay(from, to, false);
    } else {
      copyFileSync(from, to);
      n++;
    }
  }
  return n;
}

/** Apply the patches listed in `<src.patchesDir>/series` to `tree`, in order. */
export async function applyPatches(tree: string, src: DebianSource): Promise<number> {
  if (!src.patchesDir) return 0;
  const dir = join(repoRoot(), src.patchesDir);
  const names = readSeries(dir);
  for (const name of names) {
    const file = join(dir, name);
    if (!existsSync(file)) {
      throw new BuildError(`${src.patchesDir}series lists ${name}, but ${file} does not exist`);
    }
    try {
      await run('patch', ['-p1', '--forward', '--batch', '-i', file], {
        cwd: tree,
        label: `patch ${src.package} ${name}`,
      });
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      throw new BuildError(
        `${src.package} patch ${name} does not apply to ${src.package} ${src.version}\n  log: ${err.logFile ?? '?'}`,
        { logTail: err.logTail, logFile: err.logFile },
      );
    }
  }
  return names.length;
}

function treeKey(unistd32: string): string {
  return hashInputs([
    'musl-tree-3',
    MUSL_SOURCE.sha256,
    { file: join(dirname(unistd32), 'auxvec.h') },
    { dir: muslOverlayDir() },
    // The generated header, so that a change in syscallHeaderIn rebuilds too.
    syscallHeaderIn(readFileSync(unistd32, 'utf8')),
  ]);
}

/** The extracted, overlaid and patched source tree. */
async function ensureMuslTree(kernel: KernelArtifacts): Promise<string> {
  const unistd32 = join(kernel.headers, 'asm', 'unistd_32.h');
  if (!existsSync(unistd32)) throw new BuildError(`kernel headers lack ${unistd32}`);
  const key = treeKey(unistd32);
  return cachedDir(
    'musl-tree',
    key,
    async (tmp) => {
      const orig = await ensureMuslSource();
      await run('tar', ['-xzf', orig, '-C', tmp, '--strip-components=1'], {
        label: 'tar xf musl',
      });
      const files = copyOverlay(muslOverlayDir(), tmp);
      // __wasm_mm.c takes AT_WASM_MEMTOP from the kernel's own header.
      copyFileSync(
        join(dirname(unistd32), 'auxvec.h'),
        join(tmp, 'src/mman/wasm32/kernel-auxvec.h'),
      );
      writeFileSync(
        join(tmp, 'arch/wasm32/bits/syscall.h.in'),
        syscallHeaderIn(readFileSync(unistd32, 'utf8')),
      );
      const patches = await applyPatches(tmp, MUSL_SOURCE);
      info(`overlaid ${files} file(s) from userland/musl, applied ${patches} patch(es)`);
      if (treeKey(unistd32) !== key) {
        throw new BuildError(
          'userland/musl changed while the musl tree was being prepared; run again',
        );
      }
    },
    { keep: 3 },
  );
}

function configMak(tree: string): string {
  // Everything musl's configure would write, for a target it does not know.
  const vars: Record<string, string> = {
    ARCH: 'wasm32',
    SUBARCH: '',
    ASMSUBARCH: '',
    srcdir: tree,
    prefix: '/',
    exec_prefix: '/',
    bindir: '/bin',
    libdir: '/lib',
    includedir: '/include',
    syslibdir: '/lib',
    CC: 'clang-19',
    CFLAGS: '',
    CFLAGS_AUTO: MUSL_CFLAGS.join(' '),
    CFLAGS_C99FSE: '-std=c99 -nostdinc -ffreestanding',
    CFLAGS_MEMOPS: '',
    CFLAGS_NOSSP: '-fno-stack-protector',
    CPPFLAGS: '',
    LDFLAGS: '',
    LDFLAGS_AUTO: '',
    CROSS_COMPILE: '',
    LIBCC: '',
    OPTIMIZE_GLOBS: '',
    ALL_TOOLS: '',
    TOOL_LIBS: '',
    SHARED_LIBS: '',
    ADD_CFI: 'no',
    MALLOC_DIR: 'mallocng',
    AR: 'llvm-ar-19',
    RANLIB: 'llvm-ranlib-19',
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k} = ${v}\n`)
    .join('');
}

/** The compiler's version line, for cache keys. */
export async function toolchainId(): Promise<string> {
  const cc = await runCapture('clang-19', ['--version']);
  return cc.split('\n')[0] ?? '';
}

/** libc.a, crt1.o and musl's headers, built out of tree from the cached source. */
async function ensureMuslLib(tree: string): Promise<string> {
  // Bump the version string when the build steps below change.
  const key = hashInputs([
    'musl-lib-1',
    tree,
    await toolchainId(),
    configMak(tree),
    MAKE_TARGETS.join(' '),
  ]);
  return cachedDir(
    'musl-lib',
    key,
    async (tmp) => {
      const obj = join(tmp, 'build');
      mkdirSync(obj);
      writeFileSync(join(obj, 'config.mak'), configMak(tree));
      const jobs = `-j${availableParallelism()}`;
      const make = ['-n', '10', 'make', '-f', join(tree, 'Makefile'), jobs];
      await run('nice', [...make, ...MAKE_TARGETS], { cwd: obj, label: 'musl make' });
      await run('nice', [...make, 'install-headers', `DESTDIR=${tmp}`], {
        cwd: obj,
        label: 'musl install-headers',
      });
      mkdirSync(join(tmp, 'lib'));
      for (const t of MAKE_TARGETS) copyFileSync(join(obj, t), join(tmp, t));
      rmSync(obj, { recursive: true, force: true });
    },
    { keep: 3 },
  );
}

async function ensureBuiltins(): Promise<string> {
  if (existsSync(WASM_BUILTINS.file)) return WASM_BUILTINS.file;
  if (!isRoot()) {
    throw new BuildError(
      `compiler-rt's wasm32 builtins are missing (${WASM_BUILTINS.file})\n` +
        `  install them with:\n    sudo apt-get install -y ${WASM_BUILTINS.package}`,
    );
  }
  info(`installing ${WASM_BUILTINS.package}`);
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', WASM_BUILTINS.package], {
    label: `apt-get install ${WASM_BUILTINS.package}`,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync(WASM_BUILTINS.file)) {
    throw new BuildError(`${WASM_BUILTINS.package} is installed but has no ${WASM_BUILTINS.file}`);
  }
  return WASM_BUILTINS.file;
}

/** Point build/sysroot at the sysroot (a symlink, replaced only when it changes). */
function linkSysroot(sysroot: string): void {
  const dest = buildDir();
  mkdirSync(dest, { recursive: true });
  const link = join(dest, 'sysroot');
  let target: string | null;
  try {
    target = readlinkSync(link);
  } catch {
    target = null;
  }
  if (target === sysroot) return;
  rmSync(link, { recursive: true, force: true });
  symlinkSync(sysroot, link);
}

/** Build (or reuse) musl for wasm32 and the sysroot guest programs are built against. */
export async function buildMusl(kernel: KernelArtifacts): Promise<MuslArtifacts> {
  const tree = await ensureMuslTree(kernel);
  const lib = await ensureMuslLib(tree);
  const builtins = await ensureBuiltins();
  const builtinsSum = createHash('sha256').update(readFileSync(builtins)).digest('hex');
  const key = hashInputs(['musl-sysroot-1', lib, builtinsSum, { dir: kernel.headers }]);
  const sysroot = await cachedDir(
    'musl-sysroot',
    key,
    async (tmp) => {
      // Kernel headers first, so that musl's win wherever both have a file.
      cpSync(kernel.headers, join(tmp, 'include'), { recursive: true });
      cpSync(join(lib, 'include'), join(tmp, 'include'), { recursive: true, force: true });
      cpSync(join(lib, 'lib'), join(tmp, 'lib'), { recursive: true });
      copyFileSync(builtins, join(tmp, 'lib', WASM_BUILTINS.name));
    },
    { keep: 3 },
  );
  linkSysroot(sysroot);
  return { sysroot };
}
