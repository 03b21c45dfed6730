// Host directories in the guest over 9P: `wasmlinux --mount DIR:GUEST[:ro]`
// mounts DIR with Linux's own v9fs client through the arch's 9P transport
// (arch/wasm/kernel/9p.c) and the host's server (src/node/ninep). Every
// change the guest makes is checked on the host side, and the other way round.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveBuild, runCli } from '../helpers/guest.js';

let top = '';
let dir = '';

function sh(script: string, mount = `${dir}:/mnt/host`): ReturnType<typeof runCli> {
  return runCli(['--mount', mount, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
}

describe('9P mounts (--mount)', { timeout: 300_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    top = mkdtempSync(join(tmpdir(), 'wasmlinux-9p-'));
    dir = join(top, 'export');
    mkdirSync(dir);
    writeFileSync(join(top, 'secret-outside'), 'not for the guest\n');
  });
  after(() => rmSync(top, { recursive: true, force: true }));

  it('create, write, read back, append, truncate, rename, delete, mkdir/rmdir, chmod', async () => {
    writeFileSync(join(dir, 'from-host.txt'), 'written by the host\n');
    const r = await sh(
      [
        'cd /mnt/host',
        'cat from-host.txt',
        'echo one > a.txt && echo two >> a.txt',
        'cat a.txt',
        // dd truncates its output at the seek position (ftruncate → Tsetattr).
        'printf 0123456789 > t.bin && dd if=/dev/null of=t.bin bs=1 seek=4 2>/dev/null',
        'mv a.txt b.txt',
        'echo gone > del.txt && rm del.txt',
        'mkdir -p d/e && rmdir d/e',
        'echo x > mode.sh && chmod 750 mode.sh',
      ].join(' && '),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'written by the host\none\ntwo\n');
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'one\ntwo\n');
    assert.ok(!existsSync(join(dir, 'a.txt')));
    assert.equal(readFileSync(join(dir, 't.bin'), 'utf8'), '0123');
    assert.ok(!existsSync(join(dir, 'del.txt')));
    assert.ok(statSync(join(dir, 'd')).isDirectory());
    assert.ok(!existsSync(join(dir, 'd/e')));
    assert.equal(statSync(join(dir, 'mode.sh')).mode & 0o777, 0o750);
  });

  it('symlinks and hard links', async () => {
    const r = await sh(
      'cd /mnt/host && echo target > tgt && ln -s tgt sym && ln tgt hard && readlink sym && cat sym && stat -c %h tgt',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tgt\ntarget\n2\n');
    assert.equal(readlinkSync(join(dir, 'sym')), 'tgt');
    assert.equal(statSync(join(dir, 'hard')).ino, statSync(join(dir, 'tgt')).ino);
  });

  it('a 100 MB file written in the guest has the same md5 on both sides', async () => {
    const r = await sh(
      'dd if=/dev/urandom of=/mnt/host/big bs=1M count=100 2>/dev/null && md5sum /mnt/host/big',
    );
    assert.equal(r.status, 0, r.stderr);
    const host = createHash('md5')
      .update(readFileSync(join(dir, 'big')))
      .digest('hex');
    assert.equal(r.stdout, `${host}  /mnt/host/big\n`);
    rmSync(join(dir, 'big'));
  });

  it('ls -l sizes and times are the host stat()', async () => {
    writeFileSync(join(dir, 'sized'), Buffer.alloc(12345, 1));
    const r = await sh('stat -c "%s %Y" /mnt/host/sized');
    assert.equal(r.status, 0, r.stderr);
    const st = statSync(join(dir, 'sized'));
    assert.equal(r.stdout, `${st.size} ${Math.floor(st.mtimeMs / 1000)}\n`);
  });

  it('a read-only export refuses writes with EROFS', async () => {
    const r = await sh('cat /mnt/ro/from-host.txt; touch /mnt/ro/new 2>&1', `${dir}:/mnt/ro:ro`);
    assert.match(r.stdout, /written by the host/);
    assert.match(r.stdout, /Read-only file system/);
    assert.ok(!existsSync(join(dir, 'new')));
  });

  it('symlinks out of the export never reach host files outside it', async () => {
    symlinkSync('../secret-outside', join(dir, 'escape-rel'));
    symlinkSync(join(top, 'secret-outside'), join(dir, 'escape-abs'));
    const r = await sh(
      'cat /mnt/host/escape-rel 2>&1; cat /mnt/host/escape-abs 2>&1; cat /mnt/host/../secret-outside 2>&1; ls /mnt/host/.. | grep -c secret',
    );
    assert.doesNotMatch(r.stdout, /not for the guest/);
    assert.ok(lstatSync(join(dir, 'escape-rel')).isSymbolicLink());
  });

  it('a bad --mount is refused with a clear message', async () => {
    const r = await runCli(['--mount', `${join(top, 'nope')}:/mnt/x`, '--', 'true']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not a directory/);
    const rel = await runCli(['--mount', `${dir}:relative`, '--', 'true']);
    assert.equal(rel.status, 2);
    assert.match(rel.stderr, /absolute/);
  });
});
