// 9P over WebSocket: `wasmlinux serve-9p` (here in-process, serveNineP) and
// `--mount ws://…:/mnt/x`. Token auth, file data both ways, and what the
// guest sees when the server goes away mid-session.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveNineP } from '../../src/node/ninep/ws.js';
import { haveBuild, runCli, startCli } from '../helpers/guest.js';

let dir = '';

/** Run fn with a serve-9p server for dir that wants this token. */
async function withServer(token: string, fn: (url: string) => Promise<void>): Promise<void> {
  const server = await serveNineP({
    source: { kind: 'dir', dir, readOnly: false },
    port: 0,
    host: '127.0.0.1',
    token,
  });
  try {
    await fn(server.url);
  } finally {
    server.close();
  }
}

describe('9P over WebSocket (serve-9p, --mount ws://)', { timeout: 240_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-9p-ws-'));
    writeFileSync(join(dir, 'from-host.txt'), 'served over a WebSocket\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('with the right token the guest reads and writes the served directory', async () => {
    await withServer('t0k3n', async (url) => {
      const r = await runCli(
        [
          '--mount',
          `${url}?token=t0k3n:/mnt/r`,
          '--',
          'sh',
          '-c',
          'cat /mnt/r/from-host.txt && dd if=/dev/urandom of=/mnt/r/data bs=1M count=10 2>/dev/null && md5sum /mnt/r/data',
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const md5 = createHash('md5')
        .update(readFileSync(join(dir, 'data')))
        .digest('hex');
      assert.equal(r.stdout, `served over a WebSocket\n${md5}  /mnt/r/data\n`);
    });
  });

  it('a wrong or missing token is refused: nothing is mounted', async () => {
    await withServer('t0k3n', async (server) => {
      for (const url of [`${server}?token=wrong`, server]) {
        const r = await runCli(
          ['--mount', `${url}:/mnt/r`, '--', 'sh', '-c', 'cat /mnt/r/from-host.txt'],
          {
            timeoutMs: 60_000,
          },
        );
        assert.notEqual(r.status, 0);
        assert.doesNotMatch(r.stdout, /served over a WebSocket/);
        assert.match(r.stdout + r.stderr, /cannot mount the host's host0 on \/mnt\/r: error 5/);
      }
    });
  });

  it('when the server goes away, file operations fail with EIO instead of hanging', async () => {
    writeFileSync(join(dir, 'later.txt'), 'never read\n');
    const server = await serveNineP({
      source: { kind: 'dir', dir, readOnly: false },
      port: 0,
      host: '127.0.0.1',
      token: null,
    });
    // The guest reads a file, then waits for a line on stdin; the test
    // closes the server once the file's text is out, then sends the line.
    // Events, not delays: a boot on a busy host can take any time.
    const run = startCli(
      [
        '--mount',
        `${server.url}:/mnt/r`,
        '--',
        'sh',
        '-c',
        'cat /mnt/r/from-host.txt; read _; cat /mnt/r/later.txt; echo status=$?',
      ],
      { timeoutMs: 60_000 },
    );
    await run.waitForStdout(/served over a WebSocket/);
    server.close();
    run.write('\n');
    const r = await run.finish();
    assert.equal(r.timedOut, false);
    assert.doesNotMatch(r.stdout, /never read/);
    assert.match(r.stdout + r.stderr, /I\/O error/);
    assert.match(r.stdout, /status=1/);
  });

  it('after a drop, umount and mount again reach the server once it is back', async () => {
    writeFileSync(join(dir, 'again.txt'), 'read after the remount\n');
    const source = { kind: 'dir', dir, readOnly: false } as const;
    const first = await serveNineP({ source, port: 0, host: '127.0.0.1', token: null });
    const port = Number(new URL(first.url).port);
    const remount = 'mount -t 9p -o trans=wasm,version=9p2000.L,uname=root host0 /mnt/r';
    // The guest waits for a line on stdin before it notices the drop, and
    // again before it mounts: the test sends them once the first server is
    // gone and once the second one listens, whatever time that takes.
    const run = startCli(
      [
        '--mount',
        `${first.url}:/mnt/r`,
        '--',
        'sh',
        '-c',
        [
          'cat /mnt/r/from-host.txt',
          'read _',
          'cat /mnt/r/again.txt || echo dropped',
          'umount /mnt/r',
          'read _',
          remount,
          'cat /mnt/r/again.txt',
        ].join('; '),
      ],
      { timeoutMs: 60_000 },
    );
    await run.waitForStdout(/served over a WebSocket/);
    first.close();
    run.write('\n');
    await run.waitForStdout(/dropped/);
    // The same port again, as a restarted server would have it; the old
    // server lets go of it soon, but not necessarily at once.
    let second: Awaited<ReturnType<typeof serveNineP>> | null = null;
    for (const deadline = Date.now() + 30_000; second === null && Date.now() < deadline;) {
      second = await serveNineP({ source, port, host: '127.0.0.1', token: null }).catch(() => null);
      if (second === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(second, `could not listen on port ${port} again`);
    run.write('\n');
    try {
      const r = await run.finish();
      assert.equal(r.timedOut, false);
      assert.equal(
        r.stdout,
        'served over a WebSocket\ndropped\nread after the remount\n',
        r.stdout + r.stderr,
      );
    } finally {
      second.close();
    }
  });
});
