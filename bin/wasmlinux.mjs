#!/usr/bin/env node
// `npx wasmlinux`: run the bundled CLI, building everything first when this
// checkout has not been built yet (the build shows its own progress).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'node', 'cli.js');
const built = ['dist/node/cli.js', 'build/vmlinux.wasm', 'build/initramfs.cpio'].every((p) =>
  existsSync(join(root, p)),
);

if (!built) {
  process.stderr.write(
    'wasmlinux: first run in this checkout, building (this takes a few minutes)\n',
  );
  const res = spawnSync(process.execPath, [join(root, 'scripts', 'bootstrap.mjs'), 'build'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

await import(cli);
