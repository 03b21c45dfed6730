// Boot benchmark: wall time from starting `wasmlinux --cmdline "-- demo"` to /init's first line
// and to power-off, plus the image size. With --build, also the cold and
// warm build times (cold uses an empty cache directory: several minutes).
//
//   node --import tsx bench/boot.ts [--runs N] [--npx] [--build]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { median } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const FIRST_LINE = 'hello from userspace';

interface BootTiming {
  firstLineMs: number;
  exitMs: number;
  status: number | null;
}

function bootOnce(useNpx: boolean): Promise<BootTiming> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const [cmd, args] = useNpx
      ? ['npx', ['--no-install', 'wasmlinux', '--quiet', '--cmdline=-- demo']]
      : [process.execPath, [join(ROOT, 'bin/wasmlinux.mjs'), '--quiet', '--cmdline=-- demo']];
    const child = spawn(cmd, args as string[], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let firstLineMs = NaN;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (Number.isNaN(firstLineMs) && out.includes(FIRST_LINE)) {
        firstLineMs = performance.now() - start;
      }
    });
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ firstLineMs, exitMs: performance.now() - start, status }),
    );
  });
}

function timeBuild(env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  return performance.now() - start;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      npx: { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);

  if (values.build) {
    const cache = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-cache-'));
    try {
      const env = { ...process.env, XDG_CACHE_HOME: cache };
      const cold = timeBuild(env);
      const warm = timeBuild(env);
      console.log(`build: cold ${(cold / 1000).toFixed(1)} s, warm ${(warm / 1000).toFixed(1)} s`);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }

  const image = readFileSync(join(ROOT, 'build/vmlinux.wasm'));
  console.log(
    `vmlinux.wasm: ${(image.length / 1024).toFixed(0)} KiB (${(gzipSync(image).length / 1024).toFixed(0)} KiB gzipped)`,
  );

  await bootOnce(values.npx); // warm the OS file cache
  const timings: BootTiming[] = [];
  for (let i = 0; i < runs; i++) timings.push(await bootOnce(values.npx));
  const bad = timings.filter((t) => t.status !== 0 || Number.isNaN(t.firstLineMs));
  if (bad.length > 0) throw new Error(`${bad.length} of ${runs} boots failed`);
  const first = timings.map((t) => t.firstLineMs);
  const exit = timings.map((t) => t.exitMs);
  const how = values.npx ? 'npx wasmlinux' : 'node bin/wasmlinux.mjs';
  console.log(`${how} --quiet, ${runs} runs:`);
  console.log(
    `  to init's first line: median ${median(first).toFixed(0)} ms, min ${Math.min(...first).toFixed(0)} ms, max ${Math.max(...first).toFixed(0)} ms`,
  );
  console.log(
    `  to power-off (exit):  median ${median(exit).toFixed(0)} ms, min ${Math.min(...exit).toFixed(0)} ms, max ${Math.max(...exit).toFixed(0)} ms`,
  );
  console.log(`  target: first line under 1000 ms -> ${median(first) < 1000 ? 'met' : 'NOT met'}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
