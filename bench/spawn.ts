// Spawn benchmark: 1000 × clone(CLONE_VM|CLONE_VFORK) + execve(/bin/true) +
// wait4 inside the guest, against vfork + execve + waitpid of a static
// /bin/true natively on this host. Prints both rates and the ratio.
//
//   node --import tsx bench/spawn.ts

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../tools/build/userland.js';
import { writeCpio } from '../src/core/cpio.js';
import { entriesFromSpec } from '../tools/initramfs/from-spec.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

function parse(out: string): { n: number; ns: number } {
  const m = /spawns: (\d+) failed: (\d+) ns: (\d+)/.exec(out);
  if (!m) throw new Error(`no result in output:\n${out}`);
  if (m[2] !== '0') throw new Error(`${m[2]} spawns failed`);
  return { n: Number(m[1]), ns: Number(m[3]) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-'));
  try {
    const headers = join(ROOT, 'build/include');
    const includes = [join(ROOT, 'userland/init')];
    const crt = join(ROOT, 'userland/init/crt.S');
    await buildProgram(
      join(dir, 'spawn'),
      [crt, join(ROOT, 'userland/init/clone-entry.S'), join(ROOT, 'bench/guest/spawn.c')],
      headers,
      dir,
      { includes, ldflags: ['--shared-memory', '--export=__wasm_clone_entry'] },
    );
    await buildProgram(join(dir, 'true'), [crt, join(ROOT, 'bench/guest/true.c')], headers, dir, {
      includes,
    });
    const cpio = join(dir, 'spawn.cpio');
    const entries = entriesFromSpec([
      { path: '/dev', type: 'dir', mode: 0o755 },
      { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
      { path: '/bin/true', type: 'file', mode: 0o755, source: join(dir, 'true') },
      { path: '/init', type: 'file', mode: 0o755, source: join(dir, 'spawn') },
    ]);
    writeFileSync(cpio, writeCpio(entries));

    const guest = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/node/cli.js'), '--quiet', '--initrd', cpio],
      { encoding: 'utf8', timeout: 300_000 },
    );
    const g = parse(guest.stdout);

    // Native: the same loop with vfork/execve, exec'ing a static true.
    const nativeTrue = join(dir, 'true-native');
    const nativeSpawn = join(dir, 'spawn-native');
    writeFileSync(join(dir, 'true.c'), 'int main(void) { return 0; }\n');
    for (const [out, args] of [
      [nativeTrue, ['-O2', '-static', join(dir, 'true.c')]],
      [nativeSpawn, ['-O2', '-DSPAWN_NATIVE', join(ROOT, 'bench/guest/spawn.c')]],
    ] as const) {
      const cc = spawnSync('gcc', [...args, '-o', out], { encoding: 'utf8' });
      if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
    }
    const n = parse(spawnSync(nativeSpawn, [nativeTrue], { encoding: 'utf8' }).stdout);

    const rate = (r: { n: number; ns: number }): number => r.n / (r.ns / 1e9);
    console.log(
      `guest:  ${g.n} spawns in ${(g.ns / 1e6).toFixed(0)} ms = ${rate(g).toFixed(0)} spawns/s`,
    );
    console.log(
      `native: ${n.n} spawns in ${(n.ns / 1e6).toFixed(0)} ms = ${rate(n).toFixed(0)} spawns/s`,
    );
    console.log(`ratio (guest time / native time): ${(g.ns / n.ns).toFixed(2)}x`);
    console.log(`target >= 500 spawns/s -> ${rate(g) >= 500 ? 'met' : 'NOT met'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
