// The web page (dist/web): the browser entry points bundled by esbuild,
// index.html, xterm.js's stylesheet, and the kernel and initramfs images.
// Any static host can serve the directory if it sends the cross-origin
// isolation headers (README, "The web page").

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './paths.js';

export interface WebArtifacts {
  dir: string;
}

export async function buildWeb(images: {
  vmlinux: string;
  initramfs: string;
}): Promise<WebArtifacts> {
  const root = repoRoot();
  const dir = join(root, 'dist/web');
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [
      join(root, 'src/browser/main.ts'),
      join(root, 'src/browser/worker.ts'),
      join(root, 'src/browser/ninep-worker.ts'),
    ],
    outdir: dir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  });
  const require = createRequire(import.meta.url);
  const xterm = dirname(require.resolve('@xterm/xterm/package.json'));
  copyFileSync(join(xterm, 'css/xterm.css'), join(dir, 'xterm.css'));
  copyFileSync(join(root, 'web/index.html'), join(dir, 'index.html'));
  copyFileSync(images.vmlinux, join(dir, 'vmlinux.wasm'));
  copyFileSync(images.initramfs, join(dir, 'initramfs.cpio'));
  // Compressed copies beside the files, for servers that can send them
  // (serve.ts does, with Content-Encoding: gzip): a third of the bytes.
  for (const name of [
    'index.html',
    'main.js',
    'worker.js',
    'ninep-worker.js',
    'xterm.css',
    'vmlinux.wasm',
    'initramfs.cpio',
  ]) {
    writeFileSync(join(dir, `${name}.gz`), gzipSync(readFileSync(join(dir, name)), { level: 9 }));
  }
  return { dir };
}
