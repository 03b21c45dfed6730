// Sockets inside the guest (issue 15, step 0): Unix domain sockets of every
// type, with SCM_RIGHTS and abstract names, and TCP/UDP over the loopback
// device on IPv4 and IPv6. Each case (test/guest/sockets.c) moves data
// between a fork child and its parent and prints what arrived.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveBuild, initramfsWithPrograms, runCli, type RunResult } from '../helpers/guest.js';

let dir = '';
let initrd = '';

async function sockets(which: string): Promise<RunResult> {
  const r = await runCli(['--initrd', initrd, '--', 'sockets', which], { timeoutMs: 60_000 });
  assert.equal(r.timedOut, false, `timed out:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, `exit status ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe('sockets in the guest', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-sockets-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/sockets': 'sockets.c' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('socketpair(AF_UNIX, SOCK_STREAM) carries bytes from a child to its parent', async () => {
    assert.equal((await sockets('pair')).stdout, 'pair: hello from the child\n');
  });

  it('a Unix stream socket on a path: bind, listen, connect, accept', async () => {
    assert.equal((await sockets('unix-stream')).stdout, 'unix-stream: via /tmp/sockets-test\n');
  });

  it('Unix datagrams to an abstract name arrive whole and in order', async () => {
    assert.equal(
      (await sockets('unix-dgram')).stdout,
      'unix-dgram: [datagram 1] [datagram 2] [datagram 3]\n',
    );
  });

  it('SOCK_SEQPACKET keeps message boundaries', async () => {
    assert.equal((await sockets('seqpacket')).stdout, 'seqpacket: 3 4\n');
  });

  it('SCM_RIGHTS passes an open file to a process that never had it', async () => {
    assert.match((await sockets('pass-fd')).stdout, /^pass-fd: written by the child to fd \d+\n$/);
  });

  it('the loopback device is up at boot (/init brings it up)', async () => {
    const r = await runCli(['--initrd', initrd, '--', 'cat', '/sys/class/net/lo/flags'], {
      timeoutMs: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(Number(r.stdout.trim()) & 1, 1, `IFF_UP not set: ${r.stdout}`);
  });

  it('TCP over the loopback device, IPv4 and IPv6', async () => {
    assert.equal((await sockets('tcp4')).stdout, 'tcp4 client got: ping back from 127.0.0.1\n');
    assert.equal((await sockets('tcp6')).stdout, 'tcp6 client got: ping back from ::1\n');
  });

  it('UDP over the loopback device', async () => {
    assert.equal((await sockets('udp4')).stdout, 'udp4: udp datagram\n');
  });
});
