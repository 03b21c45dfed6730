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
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  } as const;
  await build({
    ...common,
    entryPoints: [join(root, 'src/node/cli.ts'), join(root, 'src/node/serve.ts')],
    outdir,
    format: 'esm',
    // CommonJS packages in the bundle (ws) call require() for Node's own
    // modules, which an ES module does not have: give them one.
    banner: {
      js: "import { createRequire as __wasmlinuxCreateRequire } from 'node:module'; const require = __wasmlinuxCreateRequire(import.meta.url);",
    },
  });
  // The worker as CommonJS: a machine starts a worker per task, and Node
  // 20 starts a CommonJS worker about 5 ms (a fifth) sooner than an ES
  // module one, which needs the ES module loader set up first.
  await build({
    ...common,
    entryPoints: [
      join(root, 'src/node/worker.ts'),
      join(root, 'src/node/copy-helper.ts'),
      join(root, 'src/node/ninep-worker.ts'),
    ],
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
  });
  return { cli: join(outdir, 'cli.js') };
}
