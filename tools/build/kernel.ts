// Builds vmlinux.wasm: overlay arch/wasm into the pinned tree, configure,
// make, then the post-link check that stands in for the linker script.
//
// Two caches: the kbuild output directory is kept per source tree so that
// editing one arch file recompiles only what depends on it; the finished,
// post-linked image is cached by a hash of every input, so an unchanged
// checkout does not even run make.

import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { KERNEL_LAYOUT } from '../../kernel/layout.js';
import { postlink } from '../wasm/postlink.js';
import { cachedDir, hashInputs } from './cache.js';
import { syncDir } from './overlay.js';
import { buildDir, cacheRoot, repoRoot } from './paths.js';
import { BuildError, info, run } from './progress.js';
import { toolchainId } from './toolchain.js';

export interface KernelArtifacts {
  /** The post-linked kernel image. */
  vmlinux: string;
  /** Installed UAPI headers (usr/include) for building user programs. */
  headers: string;
}

const CONFIG_FRAGMENT = 'kernel/config/wasm.config';

/** make for the wasm target: the toolchain is stock clang-19/wasm-ld-19. */
function makeArgs(tree: string, out: string, targets: string[]): string[] {
  return [
    '-C',
    tree,
    `O=${out}`,
    'ARCH=wasm',
    'LLVM=-19',
    // scripts/Makefile.clang has no entry for wasm; give the target here.
    'CLANG_TARGET_FLAGS_wasm=wasm32-unknown-unknown',
    'LD=wasm-ld-19',
    'KBUILD_BUILD_USER=wasmlinux',
    'KBUILD_BUILD_HOST=wasmlinux',
    `-j${availableParallelism()}`,
    ...targets,
  ];
}

/** Configure the build directory when the fragment changed (or was never applied). */
async function configure(tree: string, out: string): Promise<void> {
  const fragment = join(repoRoot(), CONFIG_FRAGMENT);
  const stamp = join(out, '.wasmlinux-config');
  const want = hashInputs([{ file: fragment }, { dir: join(repoRoot(), 'kernel/arch/wasm') }]);
  if (existsSync(join(out, '.config')) && existsSync(stamp)) {
    if (readFileSync(stamp, 'utf8') === want) return;
  }
  await run('make', makeArgs(tree, out, ['allnoconfig']), {
    env: { ...process.env, KCONFIG_ALLCONFIG: fragment },
    label: 'kernel-config',
  });
  // Every option the fragment sets must have survived Kconfig's dependencies.
  const config = readFileSync(join(out, '.config'), 'utf8');
  const missing = readFileSync(fragment, 'utf8')
    .split('\n')
    .filter((l) => /^CONFIG_\w+=/.test(l))
    .filter((l) => !config.includes(`${l}\n`));
  if (missing.length > 0) {
    throw new BuildError(`Kconfig did not accept: ${missing.join(', ')} (see ${CONFIG_FRAGMENT})`);
  }
  writeFileSync(stamp, want);
}

/**
 * The WASM_ABI_* values of asm-offsets.h (arch/wasm/kernel/asm-offsets.c),
 * by name without the prefix: what the compiler made of the kernel's
 * structures and constants, for the host to check at load time.
 */
export function abiFromAsmOffsets(header: string): Record<string, number> {
  const abi: Record<string, number> = {};
  for (const m of header.matchAll(/^#define WASM_ABI_(\w+) (-?\d+)\b/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) abi[m[1]] = Number(m[2]);
  }
  if (Object.keys(abi).length === 0) {
    throw new BuildError('asm-offsets.h has no WASM_ABI_* values: arch/wasm/kernel/asm-offsets.c');
  }
  return abi;
}

export async function buildKernel(tree: string): Promise<KernelArtifacts> {
  const root = repoRoot();
  const key = hashInputs([
    basename(tree),
    await toolchainId(),
    { dir: join(root, 'kernel') },
    { dir: join(root, 'tools/wasm') },
    // The module reader they use.
    { dir: join(root, 'src/core/wasm') },
    { file: join(root, 'tools/build/kernel.ts') },
    { file: join(root, 'src/core/abi.ts') },
  ]);
  const dir = await cachedDir('kernel', key, async (tmp) => {
    const out = join(cacheRoot(), 'kernel-build', basename(tree));
    mkdirSync(out, { recursive: true });
    const sync = syncDir(join(root, 'kernel/arch/wasm'), join(tree, 'arch/wasm'));
    if (sync.copied + sync.removed > 0) {
      info(`arch/wasm: ${sync.copied} file(s) updated, ${sync.removed} removed`);
    }
    await configure(tree, out);
    await run('make', makeArgs(tree, out, ['vmlinux.wasm', 'headers']), { label: 'kernel' });

    const linked = readFileSync(join(out, 'vmlinux.wasm'));
    const abi = abiFromAsmOffsets(
      readFileSync(join(out, 'include', 'generated', 'asm-offsets.h'), 'utf8'),
    );
    let result;
    try {
      result = postlink(linked, KERNEL_LAYOUT, abi);
    } catch (err) {
      throw new BuildError(`vmlinux.wasm failed the layout check: ${(err as Error).message}`);
    }
    writeFileSync(join(tmp, 'vmlinux.wasm'), result.bytes);
    copyFileSync(join(out, 'vmlinux.wasm.map'), join(tmp, 'vmlinux.wasm.map'));
    cpSync(join(out, 'usr/include'), join(tmp, 'include'), { recursive: true });
    info(`vmlinux.wasm: ${(result.bytes.length / 1024).toFixed(0)} KiB`);
  });

  const dest = buildDir();
  mkdirSync(dest, { recursive: true });
  copyFileSync(join(dir, 'vmlinux.wasm'), join(dest, 'vmlinux.wasm'));
  // Tests compile guest programs against these.
  rmSync(join(dest, 'include'), { recursive: true, force: true });
  cpSync(join(dir, 'include'), join(dest, 'include'), { recursive: true });
  return { vmlinux: join(dest, 'vmlinux.wasm'), headers: join(dest, 'include') };
}
