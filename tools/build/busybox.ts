// BusyBox, the guest's command-line tools: one static wasm program,
// /bin/busybox, that the applet links in the initramfs all run.
//
// The source is Debian bookworm's `busybox` source package (the upstream
// 1.35.0 tarball), fetched, verified and patched like musl's (debian.ts:
// ensureDebianSource, applyPatches). One cache entry, busybox/<key>, keyed by
// the tarball, userland/busybox (config fragment, patches, ld wrapper), the
// musl sysroot, the compiler and the compiler driver; it holds the `busybox`
// binary and `applets`, the names of the applets built into it.
//
// The build is BusyBox's own Kbuild: `make allnoconfig`, the fragment
// userland/busybox/config merged in, `make oldconfig`, then `make` with
// bin/wasmlinux-cc as CC (against the given sysroot), gcc as HOSTCC for the
// build-time tools, and userland/busybox/wasm-ld for the partial links. See
// docs/busybox.md.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { isRoot } from './apt.js';
import { cachedDir, hashInputs } from './cache.js';
import { applyPatches, ensureDebianSource, type DebianSource } from './debian.js';
import type { MuslArtifacts } from './musl.js';
import { repoRoot } from './paths.js';
import { BuildError, info, run, runCapture } from './progress.js';
import { shellQuote } from './shell.js';
import { toolchainId } from './toolchain.js';

export const BUSYBOX_SOURCE: DebianSource = {
  package: 'busybox',
  // bookworm's current revision of Debian's 1.35.0-4; the upstream tarball is the same.
  version: '1:1.35.0-4+deb12u1',
  suite: 'bookworm',
  mirror: 'http://deb.debian.org/debian',
  orig: 'busybox_1.35.0.orig.tar.bz2',
  sha256: 'faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694',
  pinnedIn: 'BUSYBOX_SOURCE in tools/build/busybox.ts',
  patchesDir: 'userland/busybox/patches/',
};

/**
 * Which configuration: `nommu` is userland/busybox/config as it is (vfork,
 * and re-executing itself where it would fork), the image's BusyBox;
 * `ash` is BusyBox's ash alone, with fork (an MMU configuration), which
 * the image has as /bin/ash (docs/busybox.md says why not all of BusyBox).
 */
export type BusyboxVariant = 'nommu' | 'ash';

/** What the `ash` variant has besides the fragment's build options. */
const ASH_LINES = [
  '# CONFIG_NOMMU is not set',
  // Not sh: hush stays /bin/sh (docs/busybox.md).
  '# CONFIG_SH_IS_ASH is not set',
  'CONFIG_SH_IS_NONE=y',
  'CONFIG_BASH_IS_NONE=y',
  'CONFIG_SHELL_ASH=y',
  'CONFIG_ASH=y',
  'CONFIG_ASH_OPTIMIZE_FOR_SIZE=y',
  'CONFIG_ASH_INTERNAL_GLOB=y',
  'CONFIG_ASH_BASH_COMPAT=y',
  'CONFIG_ASH_JOB_CONTROL=y',
  'CONFIG_ASH_ALIAS=y',
  'CONFIG_ASH_RANDOM_SUPPORT=y',
  'CONFIG_ASH_EXPAND_PRMT=y',
  'CONFIG_ASH_ECHO=y',
  'CONFIG_ASH_PRINTF=y',
  'CONFIG_ASH_TEST=y',
  'CONFIG_ASH_HELP=y',
  'CONFIG_ASH_GETOPTS=y',
  'CONFIG_ASH_CMDCMD=y',
  'CONFIG_FEATURE_SH_MATH=y',
  'CONFIG_FEATURE_SH_MATH_64=y',
  'CONFIG_FEATURE_SH_EXTRA_QUIET=y',
  'CONFIG_FEATURE_EDITING=y',
  'CONFIG_FEATURE_EDITING_MAX_LEN=1024',
  'CONFIG_FEATURE_EDITING_HISTORY=255',
  'CONFIG_FEATURE_TAB_COMPLETION=y',
  'CONFIG_FEATURE_EDITING_FANCY_PROMPT=y',
  'CONFIG_FEATURE_EDITING_WINCH=y',
  'CONFIG_UNICODE_SUPPORT=y',
  'CONFIG_SUBST_WCHAR=63',
  'CONFIG_LAST_SUPPORTED_WCHAR=0',
  // Build options of applets ash does not have.
  '# CONFIG_FEATURE_HUMAN_READABLE is not set',
  '# CONFIG_FEATURE_PRESERVE_HARDLINKS is not set',
].join('\n');

/** The fragment a variant is built from: `ash` takes only the build options. */
function variantFragment(variant: BusyboxVariant): string {
  const fragment = readFileSync(join(busyboxDir(), 'config'), 'utf8');
  if (variant === 'nommu') return fragment;
  const applets = fragment.indexOf('# --- Applets');
  if (applets < 0) throw new BuildError('userland/busybox/config has no "# --- Applets" section');
  return mergeConfig(fragment.slice(0, applets), ASH_LINES);
}

export interface BusyboxArtifacts {
  /** The static wasm program. */
  busybox: string;
  /** The applets it has, sorted (`sh`, `ls`, `[`, ...): one link each in /bin. */
  applets: string[];
}

export function busyboxDir(): string {
  return join(repoRoot(), 'userland', 'busybox');
}

type ConfigLine = { name: string; line: string };

/** The `CONFIG_X=...` and `# CONFIG_X is not set` lines of a .config or fragment. */
export function parseConfig(text: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=/.exec(line) ?? /^# (CONFIG_\w+) is not set$/.exec(line);
    if (m?.[1] !== undefined) out.push({ name: m[1], line });
  }
  return out;
}

/** `config` with every option the fragment names set as the fragment says. */
export function mergeConfig(config: string, fragment: string): string {
  const want = new Map(parseConfig(fragment).map((c) => [c.name, c.line]));
  const seen = new Set<string>();
  const lines = config.split('\n').map((line) => {
    const [c] = parseConfig(line);
    const replacement = c ? want.get(c.name) : undefined;
    if (c === undefined || replacement === undefined) return line;
    seen.add(c.name);
    return replacement;
  });
  if (lines.at(-1) === '') lines.pop();
  for (const [name, line] of want) if (!seen.has(name)) lines.push(line);
  return lines.join('\n') + '\n';
}

/** The fragment's lines that the final .config does not have (typos, unmet dependencies). */
export function missingConfig(config: string, fragment: string): string[] {
  const have = new Map(parseConfig(config).map((c) => [c.name, c.line]));
  return parseConfig(fragment)
    .filter((c) =>
      c.line.startsWith('#')
        ? (have.get(c.name)?.startsWith('CONFIG_') ?? false)
        : have.get(c.name) !== c.line,
    )
    .map((c) => c.line);
}

/** Applet names from `busybox.links` (one path a line: /bin/ls, /usr/bin/[ ...). */
export function appletNames(links: string): string[] {
  const names = links
    .split('\n')
    .map((l) => l.trim().split('/').pop() ?? '')
    .filter((n) => n !== '' && n !== 'busybox');
  return [...new Set(names)].sort();
}

async function ensureBzip2(): Promise<void> {
  try {
    await runCapture('sh', ['-c', 'command -v bzip2']);
    return;
  } catch {
    // not installed
  }
  if (!isRoot()) {
    throw new BuildError(
      'bzip2 is missing (the BusyBox tarball is .tar.bz2)\n' +
        '  install it with:\n    sudo apt-get install -y bzip2',
    );
  }
  info('installing bzip2');
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', 'bzip2'], {
    label: 'apt-get install bzip2',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** make variables: our compiler driver, host gcc for BusyBox's own tools, LLVM's ld and ar. */
function makeVars(root: string, sysroot: string): string[] {
  return [
    `CC=${join(root, 'bin', 'wasmlinux-cc')} --sysroot=${sysroot}`,
    'HOSTCC=gcc',
    `LD=${join(root, 'userland', 'busybox', 'wasm-ld')}`,
    'AR=llvm-ar-19',
    // No strip: the wasm name section keeps crash backtraces readable.
    'SKIP_STRIP=y',
  ];
}

/** The verified BusyBox tarball, extracted into src (created) and patched. */
export async function unpackBusybox(src: string): Promise<void> {
  const orig = await ensureDebianSource(BUSYBOX_SOURCE);
  await ensureBzip2();
  mkdirSync(src);
  await run('tar', ['-xjf', orig, '-C', src, '--strip-components=1'], {
    label: 'tar xf busybox',
  });
  const patches = await applyPatches(src, BUSYBOX_SOURCE);
  info(`applied ${patches} patch(es) from userland/busybox/patches`);
}

/**
 * The cache key of a BusyBox build from the checkout at root. It hashes file
 * contents, never where the checkout is: the make variables name files in
 * the checkout, so they go in with the checkout's path left out, and two
 * clones of one commit share the build.
 */
export function busyboxKey(
  root: string,
  sysroot: string,
  toolchain: string,
  variant: BusyboxVariant = 'nommu',
): string {
  return hashInputs([
    // Bump when the build steps below change.
    'busybox-1',
    // The nommu key stays what it was before variants.
    ...(variant === 'nommu' ? [] : [variant, ASH_LINES]),
    BUSYBOX_SOURCE.sha256,
    { dir: join(root, 'userland', 'busybox') },
    // The sysroot's directory name is its own content key (musl-sysroot/<key>).
    basename(sysroot),
    toolchain,
    { file: join(root, 'tools', 'build', 'guest-cc.ts') },
    { file: join(root, 'bin', 'wasmlinux-cc') },
    // wasmlinux-cc runs Asyncify over BusyBox (it uses vfork): the call
    // graph code that plans it, and binaryen's version.
    { dir: join(root, 'tools', 'wasm') },
    // The module reader they use.
    { dir: join(root, 'src/core/wasm') },
    { file: createRequire(import.meta.url).resolve('binaryen/package.json') },
    makeVars('<checkout>', '<sysroot>').join('\n'),
  ]);
}

/** Build (or reuse) BusyBox for the guest against the musl sysroot. */
export async function buildBusybox(
  musl: MuslArtifacts,
  variant: BusyboxVariant = 'nommu',
): Promise<BusyboxArtifacts> {
  const root = repoRoot();
  const vars = makeVars(root, musl.sysroot);
  const key = busyboxKey(root, musl.sysroot, await toolchainId(), variant);
  const dir = await cachedDir(
    'busybox',
    key,
    async (tmp) => {
      const src = join(tmp, 'src');
      await unpackBusybox(src);

      const make = ['-n', '10', 'make', ...vars];
      await run('nice', [...make, 'allnoconfig'], { cwd: src, label: 'busybox allnoconfig' });
      const fragment = variantFragment(variant);
      const dotConfig = join(src, '.config');
      writeFileSync(dotConfig, mergeConfig(readFileSync(dotConfig, 'utf8'), fragment));
      // oldconfig asks about options the fragment made visible (sub-features
      // it does not name) and about every choice: take the defaults.
      await run(
        'sh',
        ['-c', `yes '' | nice -n 10 make ${vars.map(shellQuote).join(' ')} oldconfig`],
        {
          cwd: src,
          label: 'busybox oldconfig',
        },
      );
      const missing = missingConfig(readFileSync(dotConfig, 'utf8'), fragment);
      if (missing.length > 0) {
        throw new BuildError(
          `userland/busybox/config asks for options that BusyBox's .config does not have\n` +
            `  (misspelt, or their dependencies are off):\n    ${missing.join('\n    ')}`,
        );
      }

      const jobs = `-j${availableParallelism()}`;
      await run('nice', [...make, jobs], { cwd: src, label: 'busybox make' });
      await run('nice', [...make, 'busybox.links'], { cwd: src, label: 'busybox links' });
      const applets = appletNames(readFileSync(join(src, 'busybox.links'), 'utf8'));
      if (!existsSync(join(src, 'busybox')) || applets.length === 0) {
        throw new BuildError(`the BusyBox build left no busybox or no applet list in ${src}`);
      }
      writeFileSync(join(tmp, 'busybox'), readFileSync(join(src, 'busybox')), { mode: 0o755 });
      writeFileSync(join(tmp, 'applets'), applets.join('\n') + '\n');
      writeFileSync(join(tmp, 'config'), readFileSync(dotConfig));
      rmSync(src, { recursive: true, force: true });
    },
    { keep: 3 },
  );
  const applets = readFileSync(join(dir, 'applets'), 'utf8').split('\n').filter(Boolean);
  return { busybox: join(dir, 'busybox'), applets };
}
