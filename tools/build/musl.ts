// musl, the C library of wasmlinux user programs.
//
// The source is Debian's `musl` source package (the upstream 1.2.3 tarball),
// fetched and checked by debian.ts.
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
import { applyPatches, ensureDebianSource, type DebianSource } from './debian.js';
import { toolchainId } from './toolchain.js';
import { buildDir, repoRoot } from './paths.js';
import { BuildError, info, run } from './progress.js';

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
