// The guest's BusyBox built natively with gcc, for bench/busybox.ts to compare
// against: the same tarball, the same patches and the same configuration
// fragment (userland/busybox/config), with only what a native build must
// differ in changed (see NATIVE_OVERRIDES). Cached as busybox-native/<key>
// under the project's cache, keyed by the tarball, the fragment, the patches
// and gcc's version; it holds `busybox`, `applets` (one name a line),
// `linkage` ("static" or "dynamic") and the final `config`.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  appletNames,
  BUSYBOX_SOURCE,
  busyboxDir,
  mergeConfig,
  missingConfig,
  unpackBusybox,
} from '../tools/build/busybox.js';
import { cachedDir, hashInputs } from '../tools/build/cache.js';
import { BuildError, formatCommand, run, runCapture, warn } from '../tools/build/progress.js';

export type Linkage = 'static' | 'dynamic';

export interface NativeBusybox {
  /** The x86-64 (host) program. */
  busybox: string;
  /** Its applets, sorted: one link each in the benchmark's bin dir. */
  applets: string[];
  /** Static if glibc allowed it (preferred), else dynamic. */
  linkage: Linkage;
}

// Lines replacing the fragment's, each for a reason a native build has.
const NATIVE_OVERRIDES = [
  // The host has an MMU: hush forks, as a native user's BusyBox does.
  '# CONFIG_NOMMU is not set',
  // With an MMU the `sh` choice defaults to ash, and allnoconfig takes it;
  // the fragment's SH_IS_HUSH then loses. The benchmark compares hush.
  '# CONFIG_SH_IS_ASH is not set',
  // The fragment's flags stand in for the cc-option probes wasmlinux-cc
  // cannot answer; gcc answers them, so Makefile.flags picks its own.
  'CONFIG_EXTRA_CFLAGS=""',
  // Only NOMMU re-execs itself through this path, and the host has no
  // /bin/busybox: BusyBox's default.
  'CONFIG_BUSYBOX_EXEC_PATH="/proc/self/exe"',
].join('\n');

const STATIC_OFF = '# CONFIG_STATIC is not set';

/** make variables: gcc for both the program and BusyBox's build-time tools. */
const MAKE_VARS = ['CC=gcc', 'HOSTCC=gcc'];

/** The fragment for the native build: userland/busybox/config with the overrides. */
function nativeFragment(): string {
  const fragment = readFileSync(join(busyboxDir(), 'config'), 'utf8');
  return mergeConfig(fragment, NATIVE_OVERRIDES);
}

async function gccVersion(): Promise<string> {
  return (await runCapture('gcc', ['--version'])).split('\n')[0] ?? '';
}

/** allnoconfig, the fragment merged in, oldconfig; fails if a fragment line did not survive. */
async function configure(src: string, fragment: string): Promise<void> {
  const make = ['-n', '10', 'make', ...MAKE_VARS];
  await run('nice', [...make, 'allnoconfig'], { cwd: src, label: 'native busybox allnoconfig' });
  await reconfigure(src, fragment);
}

/** Merge `fragment` into .config and let oldconfig settle the rest (defaults). */
async function reconfigure(src: string, fragment: string): Promise<void> {
  const dotConfig = join(src, '.config');
  writeFileSync(dotConfig, mergeConfig(readFileSync(dotConfig, 'utf8'), fragment));
  // oldconfig asks about every choice and newly visible sub-option: defaults.
  const oldconfig = formatCommand('nice', ['-n', '10', 'make', ...MAKE_VARS, 'oldconfig']);
  await run('sh', ['-c', `yes '' | ${oldconfig}`], {
    cwd: src,
    label: 'native busybox oldconfig',
  });
  const missing = missingConfig(readFileSync(dotConfig, 'utf8'), fragment);
  if (missing.length > 0) {
    throw new BuildError(
      `the native BusyBox .config lacks lines of its fragment (their dependencies are off?):\n` +
        `    ${missing.join('\n    ')}`,
    );
  }
}

async function make(src: string, label: string): Promise<void> {
  const jobs = `-j${availableParallelism()}`;
  await run('nice', ['-n', '10', 'make', ...MAKE_VARS, jobs], { cwd: src, label });
}

/**
 * Build static; if glibc's static link fails, dynamic (glibc discourages
 * static linking and some setups lack libc.a). Returns what was built.
 */
async function buildLinked(src: string, fragment: string): Promise<Linkage> {
  try {
    await make(src, 'native busybox make (static)');
    return 'static';
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    warn(`static native BusyBox failed (${err.logFile ?? '?'}); building it dynamic`);
    await reconfigure(src, mergeConfig(fragment, STATIC_OFF));
    await make(src, 'native busybox make (dynamic)');
    return 'dynamic';
  }
}

async function buildInto(tmp: string): Promise<void> {
  const src = join(tmp, 'src');
  // The patches: 0001 only drops link flags the linker refuses (gcc takes
  // them all); 0002 is #ifdef __wasm__. So natively they change nothing.
  await unpackBusybox(src);

  const fragment = nativeFragment();
  await configure(src, fragment);
  const linkage = await buildLinked(src, fragment);
  await run('nice', ['-n', '10', 'make', ...MAKE_VARS, 'busybox.links'], {
    cwd: src,
    label: 'native busybox links',
  });
  const applets = appletNames(readFileSync(join(src, 'busybox.links'), 'utf8'));
  if (!existsSync(join(src, 'busybox')) || applets.length === 0) {
    throw new BuildError(`the native BusyBox build left no busybox or no applet list in ${src}`);
  }
  // A program that does not start (a broken static link) must not be cached.
  await runCapture(join(src, 'busybox'), ['true']);
  writeFileSync(join(tmp, 'busybox'), readFileSync(join(src, 'busybox')), { mode: 0o755 });
  writeFileSync(join(tmp, 'applets'), applets.join('\n') + '\n');
  writeFileSync(join(tmp, 'linkage'), linkage + '\n');
  writeFileSync(join(tmp, 'config'), readFileSync(join(src, '.config')));
  rmSync(src, { recursive: true, force: true });
}

/** Build (or reuse) the native BusyBox. */
export async function buildNativeBusybox(): Promise<NativeBusybox> {
  const key = hashInputs([
    // Bump when the build steps above change.
    'busybox-native-1',
    BUSYBOX_SOURCE.sha256,
    { file: join(busyboxDir(), 'config') },
    { dir: join(busyboxDir(), 'patches') },
    await gccVersion(),
    NATIVE_OVERRIDES,
    MAKE_VARS.join('\n'),
  ]);
  const dir = await cachedDir('busybox-native', key, buildInto, { keep: 3 });
  const applets = readFileSync(join(dir, 'applets'), 'utf8').split('\n').filter(Boolean);
  const linkage = readFileSync(join(dir, 'linkage'), 'utf8').trim();
  if (linkage !== 'static' && linkage !== 'dynamic') {
    throw new BuildError(`${dir}/linkage says ${JSON.stringify(linkage)}`);
  }
  return { busybox: join(dir, 'busybox'), applets, linkage };
}
