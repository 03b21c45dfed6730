// Which Node.js binaries `npm test` runs the suite on.
//
// WASMLINUX_TEST_NODES is a comma-separated list of `system` (the Node.js
// running this script, i.e. the machine's) and pinned majors from
// node-bin.ts (`22`, `24`); the default runs the machine's Node, then 24.
import { delimiter, dirname } from 'node:path';
import { NODE_RELEASES, ensureNodeBinary } from './node-bin.js';
import { BuildError, runCapture } from './progress.js';

export const DEFAULT_TEST_NODES = 'system,24';

/** A Node.js to run the suite with. */
export interface TestNode {
  /** `system` or a pinned major. */
  readonly name: string;
  readonly execPath: string;
  /** `process.version` of that binary, e.g. `v24.22.3`. */
  readonly version: string;
}

/** The entries of a WASMLINUX_TEST_NODES value, validated, without repeats, in order. */
export function parseTestNodes(spec: string): string[] {
  const names = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new BuildError('WASMLINUX_TEST_NODES is empty');
  for (const n of names) {
    if (n !== 'system' && NODE_RELEASES[n] === undefined) {
      const known = ['system', ...Object.keys(NODE_RELEASES)].join(', ');
      throw new BuildError(`WASMLINUX_TEST_NODES: unknown Node.js "${n}" (known: ${known})`);
    }
  }
  return [...new Set(names)];
}

/** The binary for one entry, fetching a pinned release on first use. */
export async function resolveTestNode(name: string): Promise<TestNode> {
  if (name === 'system') return { name, execPath: process.execPath, version: process.version };
  const execPath = await ensureNodeBinary(name);
  return { name, execPath, version: `v${NODE_RELEASES[name]?.version ?? '?'}` };
}

/** How a pass names its Node.js in the closing summary. */
export function describeNode(node: TestNode): string {
  const origin = node.name === 'system' ? 'system' : 'pinned';
  return `${node.version} (${origin}, ${node.execPath})`;
}

/**
 * The environment of a pass: its Node.js first on PATH, so that anything the
 * tests start as plain `node` (a `#!/usr/bin/env node` script) runs on it too.
 */
export function passEnv(node: TestNode): NodeJS.ProcessEnv {
  if (node.name === 'system') return process.env;
  const path = process.env['PATH'] ?? '';
  return { ...process.env, PATH: `${dirname(node.execPath)}${delimiter}${path}` };
}

/**
 * node-pty (the interactive tests' pseudo-terminal) is a native addon that
 * `npm ci` compiles once, with the machine's Node. It is built on Node-API,
 * whose ABI is stable across Node.js majors, so that one build loads in every
 * Node the suite runs on; checking it here turns a break in that (a node-pty
 * release that leaves Node-API) into one clear error instead of failed tests.
 */
export async function checkNativeAddons(node: TestNode, cwd: string): Promise<void> {
  try {
    await runCapture(node.execPath, ['-e', "require('node-pty')"], { cwd, env: passEnv(node) });
  } catch (err) {
    const why = err instanceof BuildError ? err.logTail.slice(-3).join('\n  ') : String(err);
    throw new BuildError(
      `node-pty does not load in Node.js ${node.version} (${node.execPath}):\n  ${why}\n` +
        `  It was compiled for ${process.version} by npm ci; rebuild it for this Node.js with\n` +
        `    PATH=${dirname(node.execPath)}:$PATH npm rebuild node-pty`,
    );
  }
}
