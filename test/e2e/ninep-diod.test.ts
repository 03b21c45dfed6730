// Interop with a 9P server nobody here wrote: Debian's diod serves a temp
// directory on loopback TCP, `wasmlinux serve-9p --to tcp://…` bridges it
// to WebSocket, and the guest mounts that with --mount ws://…. The same file
// checks as for our own server must pass (test/helpers/ninep-checks.ts).

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, haveBuild, runCli } from '../helpers/guest.js';
import { cliMount, dirView, fileSemanticsChecks } from '../helpers/ninep-checks.js';

const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * Resolves once something accepts TCP connections on port (diod takes a
 * moment, longer on a busy machine: the bound is only there to end a hang).
 */
async function waitForPort(port: number, what: ChildProcess): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (what.exitCode !== null) throw new Error(`diod exited with status ${what.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Starts `wasmlinux serve-9p` with args; resolves with its ws:// URL. */
function startBridge(args: string[]): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [CLI, 'serve-9p', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /over 9P at (ws:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ url: m[1], proc });
    });
    proc.once('exit', (code) => reject(new Error(`serve-9p exited (${code}): ${out}`)));
  });
}

describe('9P interop: diod through serve-9p --to tcp://', { timeout: 600_000 }, () => {
  let top = '';
  let dir = '';
  let diod: ChildProcess | null = null;
  let bridge: ChildProcess | null = null;
  let url = '';

  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    const which = spawnSync('sh', ['-c', 'command -v diod'], { env: { ...process.env, PATH } });
    assert.equal(which.status, 0, 'diod is missing: npm test installs it (apt-get install diod)');
    top = mkdtempSync(join(tmpdir(), 'wasmlinux-diod-'));
    dir = join(top, 'export');
    spawnSync('mkdir', [dir]);
    const port = await freePort();
    // -n: no authentication (loopback only); -e: the one export.
    diod = spawn(
      which.stdout.toString().trim(),
      ['-f', '-n', '-l', `127.0.0.1:${port}`, '-e', dir, '-L', 'stderr'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    await waitForPort(port, diod);
    const b = await startBridge([
      '--to',
      `tcp://127.0.0.1:${port}${dir}`,
      '--port',
      '0',
      '--token',
      'diod-t0k',
    ]);
    bridge = b.proc;
    url = b.url;
  });

  after(() => {
    bridge?.kill();
    diod?.kill();
    if (top) rmSync(top, { recursive: true, force: true });
  });

  fileSemanticsChecks(
    cliMount(
      dirView(() => dir),
      () => `${url}?token=diod-t0k:/mnt/host`,
    ),
  );

  it('the bridge asks for the token too', async () => {
    const r = await runCli(
      ['--mount', `${url}?token=nope:/mnt/host`, '--', 'cat', '/mnt/host/b.txt'],
      {
        timeoutMs: 60_000,
      },
    );
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /one/);
    assert.match(r.stdout + r.stderr, /cannot mount the host's host0 on \/mnt\/host: error 5/);
  });

  it('serve-9p refuses bad --to values with a message', async () => {
    for (const [args, msg] of [
      [['--to', 'http://x:1'], /only tcp:\/\//],
      [['--to', 'tcp://127.0.0.1'], /host and port/],
      [['--to', 'tcp://127.0.0.1:564', dir], /either a directory or --to/],
      [['--to', 'tcp://127.0.0.1:564', '--ro'], /--ro applies to directories/],
    ] as const) {
      const r = await runCli(['serve-9p', ...args]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
    }
  });
});
