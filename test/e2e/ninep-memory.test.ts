// The 9P engine over a tree in memory (src/core/ninep/memory-backend.ts), as
// the guest sees it: this test process serves one store over WebSocket
// (serveNineP with a backend), the guest mounts it with --mount ws://…, and
// the same file checks as for a host directory and diod must pass, looking
// at the result through the store's own interface. Then what a store with
// a size limit does when the guest fills it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryBackend } from '../../src/core/ninep/memory-backend.js';
import type { TreeStore } from '../../src/core/ninep/tree-store.js';
import { serveNineP } from '../../src/node/ninep/ws.js';
import { haveBuild, runCli } from '../helpers/guest.js';
import { backendView, cliMount, fileSemanticsChecks } from '../helpers/ninep-checks.js';

const TOKEN = 'mem-t0k';

async function serve(store: TreeStore): Promise<{ url: string; close: () => void }> {
  return serveNineP({
    source: { kind: 'backend', backend: store, readOnly: false },
    port: 0,
    host: '127.0.0.1',
    token: TOKEN,
  });
}

describe('9P on a tree in memory (served over WebSocket)', { timeout: 600_000 }, () => {
  const store = memoryBackend();
  let server: { url: string; close: () => void } | null = null;

  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    server = await serve(store);
  });
  after(() => server?.close());

  fileSemanticsChecks(
    cliMount(backendView(store), () => `${server?.url ?? ''}?token=${TOKEN}:/mnt/host`),
  );

  it('a full store gives ENOSPC in the guest and keeps what was written before', async () => {
    const small = memoryBackend({ maxBytes: 4 << 20 });
    const s = await serve(small);
    try {
      // The mount caches nothing (the default), so the write() itself fails.
      const r = await runCli(
        [
          '--mount',
          `${s.url}?token=${TOKEN}:/mnt/s`,
          '--',
          'sh',
          '-c',
          'echo kept > /mnt/s/first; dd if=/dev/zero of=/mnt/s/fill bs=64k count=100 2>&1; echo "dd=$?"; cat /mnt/s/first',
        ],
        { timeoutMs: 120_000 },
      );
      assert.match(r.stdout, /No space left on device/);
      assert.match(r.stdout, /dd=1/);
      assert.match(r.stdout, /\nkept\n$/);
      assert.equal((await backendView(small).readFile('first')).toString(), 'kept\n');
    } finally {
      s.close();
    }
  });
});
