// The Node.js that the `wasmlinux` command (bin/wasmlinux.mjs) runs the CLI on.
//
// Kernel threads share host threads only where the engine can suspend wasm
// stacks (JSPI, with Atomics.waitAsync): Node 24 can, Node 20 cannot, and
// there every kernel thread costs a worker of its own. Measured here: boot
// to the prompt at --cpus 4 took 945 ms on Node 20 against 469 ms on Node 24.
// So a build run by a Node without JSPI fetches the pinned Node 24 (the test
// suite runs on it anyway) and records it in build/cli-node.json, where
// bin/wasmlinux.mjs looks. A build run by a Node with JSPI removes the record:
// that Node is good enough. `node dist/node/cli.js` always runs on the Node
// it is given.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeBinary, NODE_RELEASES } from './node-bin.js';
import { buildDir } from './paths.js';
import { warn } from './progress.js';

/** What build/cli-node.json holds (read by bin/wasmlinux.mjs). */
export interface CliNode {
  /** Absolute path of the Node.js binary. */
  readonly node: string;
  readonly version: string;
}

const JSPI_MAJOR = '24';

export function cliNodeFile(): string {
  return join(buildDir(), 'cli-node.json');
}

function hasJspi(): boolean {
  const wa = WebAssembly as unknown as Record<string, unknown>;
  return typeof wa['Suspending'] === 'function' && typeof wa['promising'] === 'function';
}

/**
 * Record the Node.js the CLI should run on; null when it is this one. A
 * failed download only warns: the CLI still works on this Node, slower.
 */
export async function ensureCliNode(): Promise<CliNode | null> {
  const file = cliNodeFile();
  if (hasJspi()) {
    if (existsSync(file)) rmSync(file);
    return null;
  }
  const pin = NODE_RELEASES[JSPI_MAJOR];
  if (pin === undefined) throw new Error(`no Node.js ${JSPI_MAJOR} in NODE_RELEASES`);
  try {
    const record: CliNode = { node: await ensureNodeBinary(JSPI_MAJOR), version: pin.version };
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    return record;
  } catch (err) {
    if (existsSync(file)) rmSync(file);
    warn(
      `Node.js ${process.versions.node} has no JSPI and Node.js ${pin.version} could not be ` +
        `fetched (${(err as Error).message.split('\n')[0] ?? ''}): wasmlinux will run on this ` +
        `Node, with a host thread for every kernel thread`,
    );
    return null;
  }
}
