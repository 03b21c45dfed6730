// System V IPC: message queues, semaphores and shared memory segments are
// kernel objects that separate processes (each with its own memory) use;
// attaching a segment, which would need two processes to share memory,
// fails plainly, as does sem_open (a shared file mapping). /dev/shm is
// mounted (and /dev/mqueue in the interactive system).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveBuild, initramfsWithPrograms, runCli } from '../helpers/guest.js';

let dir = '';
let initrd = '';

function sh(script: string): ReturnType<typeof runCli> {
  return runCli(['--initrd', initrd, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
}

describe('System V IPC', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-ipc-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/ipc': 'ipc.c' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a message queue carries messages between processes, waiting for them', async () => {
    // The receiver starts first and waits in msgrcv for a later process.
    const r = await sh(
      [
        'ipc msg-send 0x51 first',
        'ipc msg-recv 0x51',
        'ipc msg-recv 0x51 & p=$!',
        'usleep 200000; ipc msg-send 0x51 second; wait $p',
        'ipcs -q | grep -c 0x00000051',
      ].join('\n'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'received first\nreceived second\n1\n');
  });

  it('a semaphore makes one process wait for another', async () => {
    const r = await sh(
      [
        'ipc sem-make 0x52 0',
        // Waits until the value can go down by 2.
        '(ipc sem-op 0x52 -2; echo took) & p=$!',
        'usleep 200000; echo giving; ipc sem-op 0x52 1; ipc sem-op 0x52 1; wait $p',
        'ipc sem-get 0x52',
        'ipcrm -S 0x52; ipc sem-get 0x52; echo "status $?"',
      ].join('\n'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'giving\ntook\nvalue 0\nsemget: No such file or directory\nstatus 1\n');
  });

  it('shmget and shmctl work; shmat and sem_open fail with ENOSYS; /dev/shm is mounted', async () => {
    const r = await sh(
      'ipc shm 0x53; ipc sem-open /s; grep -E " /dev/(shm|mqueue) " /proc/mounts | cut -d" " -f2,3',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^shmget ok, size 65536\nshmat: Function not implemented\n/);
    assert.match(r.stdout, /sem_open: Function not implemented\n/);
    assert.match(r.stdout, /\/dev\/shm tmpfs\n/);
  });
});
