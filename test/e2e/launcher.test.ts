// bin/wasmlinux.mjs, the `wasmlinux` command: on a Node.js without JSPI it
// runs the CLI on the Node.js the build recorded (build/cli-node.json), and
// what the guest prints, reads and exits with passes through unchanged.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { haveBuild, ROOT } from '../helpers/guest.js';

const LAUNCHER = join(ROOT, 'bin', 'wasmlinux.mjs');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function launch(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  });
}

/** The Node.js version the launcher should pick here, from what this Node has and the build recorded. */
function expectedVersion(): string {
  if (typeof (WebAssembly as unknown as Record<string, unknown>)['Suspending'] === 'function') {
    return process.version;
  }
  const record = join(ROOT, 'build', 'cli-node.json');
  if (!existsSync(record)) return process.version;
  const { node, version } = JSON.parse(readFileSync(record, 'utf8')) as {
    node: string;
    version: string;
  };
  return existsSync(node) ? `v${version}` : process.version;
}

/** The Node.js and worker sharing the CLI says it runs with (--verbose). */
function hostLine(stderr: string): RegExpExecArray {
  const m = /^wasmlinux: Node\.js (v[\d.]+), (.*)$/m.exec(stderr);
  assert.ok(m, `no host line in:\n${stderr}`);
  return m;
}

/** Direct children of a host process, from procfs. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe('bin/wasmlinux.mjs', { timeout: 180_000 }, () => {
  it('runs the CLI on the recorded JSPI Node.js where this one has none; input, output and status pass through', async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    const r = await launch(['--verbose', '--cpus', '2', '--', 'sh', '-c', 'cat; exit 3'], {
      input: 'through the launcher\n',
    });
    assert.equal(r.status, 3, r.stderr);
    // (--verbose puts the kernel log on stdout too.)
    assert.ok(r.stdout.split('\n').includes('through the launcher'), r.stdout);
    const [, version, sharing] = hostLine(r.stderr);
    assert.equal(version, expectedVersion());
    if (version !== process.version) assert.match(sharing ?? '', /share host threads \(JSPI\)/);
  });

  it('WASMLINUX_NODE=self keeps this Node.js', async () => {
    const r = await launch(['--verbose', '--', 'true'], { env: { WASMLINUX_NODE: 'self' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(hostLine(r.stderr)[1], process.version);
  });

  it('a bad WASMLINUX_NODE is a clear error with status 127', async () => {
    const r = await launch(['--', 'true'], {
      env: { WASMLINUX_NODE: join(ROOT, 'no-such-node') },
    });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /wasmlinux: cannot run .*no-such-node/);
  });

  it('SIGTERM to the launcher ends the CLI it started', async () => {
    let launcher = 0;
    const run = launch(['--', 'sleep', '30'], {
      env: { WASMLINUX_NODE: process.execPath },
      onSpawn: (pid) => (launcher = pid),
    });
    // The launcher's child is the CLI; wait until it has one.
    let cli: number | undefined;
    for (let i = 0; i < 200 && cli === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cli = childrenOf(launcher)[0];
    }
    assert.ok(cli !== undefined, 'the launcher started no CLI');
    process.kill(launcher, 'SIGTERM');
    const r = await run;
    assert.equal(r.status, 128 + 15);
    assert.ok(!existsSync(`/proc/${cli}`), `the CLI (pid ${cli}) outlived its launcher`);
  });
});
