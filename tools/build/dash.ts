// dash, the Debian Almquist shell: /bin/dash in the guest, built unpatched
// from Debian bookworm's `dash` source package (the upstream 0.5.12 tarball,
// fetched and verified like musl's: debian.ts ensureDebianSource). It forks for
// subshells, pipelines and `$(…)`, and uses setjmp for its error recovery:
// both work as on any Linux (docs/setjmp.md, docs/vfork.md).
//
// The build is dash's own: `./configure --host=…` with bin/wasmlinux-cc as
// CC and the host's gcc as CC_FOR_BUILD for its generators (mkinit,
// mksyntax, mknodes, mksignames), then `make`. One cache entry, dash/<key>,
// keyed by the tarball, the sysroot, the compiler and the compiler driver.

import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { cachedDir, hashInputs } from './cache.js';
import { ensureDebianSource, type DebianSource } from './debian.js';
import type { MuslArtifacts } from './musl.js';
import { repoRoot } from './paths.js';
import { BuildError, run, runCapture } from './progress.js';
import { toolchainId } from './toolchain.js';

export const DASH_SOURCE: DebianSource = {
  package: 'dash',
  version: '0.5.12-2',
  suite: 'bookworm',
  mirror: 'http://deb.debian.org/debian',
  orig: 'dash_0.5.12.orig.tar.gz',
  sha256: '6a474ac46e8b0b32916c4c60df694c82058d3297d8b385b74508030ca4a8f28a',
  pinnedIn: 'DASH_SOURCE in tools/build/dash.ts',
  // No patches: dash builds as it comes.
};

export interface DashArtifacts {
  /** The wasm program. */
  dash: string;
}

/** What configure and make are given; paths in the checkout relative to root. */
function configureArgs(root: string, sysroot: string, build: string): string[] {
  return [
    '--host=wasm32-unknown-linux-musl',
    `--build=${build}`,
    `CC=${join(root, 'bin', 'wasmlinux-cc')} --sysroot=${sysroot}`,
    'CC_FOR_BUILD=gcc',
    'CFLAGS=-O2',
  ];
}

export function dashKey(root: string, sysroot: string, toolchain: string): string {
  return hashInputs([
    // Bump when the build steps below change.
    'dash-1',
    DASH_SOURCE.sha256,
    basename(sysroot),
    toolchain,
    { file: join(root, 'tools', 'build', 'guest-cc.ts') },
    { file: join(root, 'tools', 'build', 'dash.ts') },
    { file: join(root, 'bin', 'wasmlinux-cc') },
    // Asyncify (dash forks): the plan's code and binaryen's version.
    { dir: join(root, 'tools', 'wasm') },
    // The module reader they use.
    { dir: join(root, 'src/core/wasm') },
    { file: createRequire(import.meta.url).resolve('binaryen/package.json') },
    configureArgs('<checkout>', '<sysroot>', '<build>').join('\n'),
  ]);
}

/** Build (or reuse) dash for the guest against the musl sysroot. */
export async function buildDash(musl: MuslArtifacts): Promise<DashArtifacts> {
  const root = repoRoot();
  const key = dashKey(root, musl.sysroot, await toolchainId());
  const dir = await cachedDir(
    'dash',
    key,
    async (tmp) => {
      const orig = await ensureDebianSource(DASH_SOURCE);
      const src = join(tmp, 'src');
      mkdirSync(src);
      await run('tar', ['-xzf', orig, '-C', src, '--strip-components=1'], {
        label: 'tar xf dash',
      });
      const build = (await runCapture('gcc', ['-dumpmachine'])).trim();
      await run('nice', ['-n', '10', './configure', ...configureArgs(root, musl.sysroot, build)], {
        cwd: src,
        label: 'dash configure',
      });
      await run('nice', ['-n', '10', 'make', `-j${availableParallelism()}`], {
        cwd: src,
        label: 'dash make',
      });
      const out = join(src, 'src', 'dash');
      if (!existsSync(out)) throw new BuildError(`the dash build left no src/dash in ${src}`);
      copyFileSync(out, join(tmp, 'dash'));
    },
    { keep: 3 },
  );
  return { dash: join(dir, 'dash') };
}
