// Bundles the host runtime (src/) with esbuild: workers need plain
// JavaScript files, and one bundle starts faster than many modules.

import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './paths.js';

export interface RuntimeArtifacts {
  cli: string;
}

export async function buildRuntime(): Promise<RuntimeArtifacts> {
  const root = repoRoot();
  const outdir = join(root, 'dist/node');
  await build({
    entryPoints: [
      join(root, 'src/node/cli.ts'),
      join(root, 'src/node/worker.ts'),
      join(root, 'src/node/serve.ts'),
    ],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // CommonJS packages in the bundle (ws) call require() for Node's own
    // modules, which an ES module does not have: give them one.
    banner: {
      js: "import { createRequire as __wasmlinuxCreateRequire } from 'node:module'; const require = __wasmlinuxCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return { cli: join(outdir, 'cli.js') };
}
