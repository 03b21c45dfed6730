#!/usr/bin/env node
// `npx wasmlinux`: run the bundled CLI, building everything first when this
// checkout has not been built yet (the build shows its own progress).
//
// The CLI runs on a Node.js that can suspend wasm stacks (JSPI) when this one
// cannot and the build recorded one (build/cli-node.json, tools/build/
// cli-node.ts): kernel threads then share host threads, and the machine boots
// in about half the time. WASMLINUX_NODE=PATH picks the Node.js to run on;
// WASMLINUX_NODE=self keeps this one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
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

/** The Node.js to run the CLI on instead of this one, or null. */
function otherNode() {
  const chosen = process.env.WASMLINUX_NODE;
  if (chosen === 'self') return null;
  if (chosen) return chosen;
  if (typeof WebAssembly.Suspending === 'function') return null;
  try {
    const { node } = JSON.parse(readFileSync(join(root, 'build', 'cli-node.json'), 'utf8'));
    return typeof node === 'string' && existsSync(node) ? node : null;
  } catch {
    return null;
  }
}

const node = otherNode();
if (node === null) {
  await import(cli);
} else {
  // The child shares the terminal: Ctrl-C and the like reach it directly
  // (the interactive CLI reads them as bytes). Signals sent to this process
  // alone (kill, a CI timeout) are passed on; its exit status becomes ours.
  // The handlers come first: between spawn() and them, a signal would end
  // this process alone and leave the child running (seen once in CI).
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  const child = spawn(node, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  function forward(sig) {
    child.kill(sig);
  }
  child.on('error', (err) => {
    process.stderr.write(`wasmlinux: cannot run ${node}: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 0));
  });
}
