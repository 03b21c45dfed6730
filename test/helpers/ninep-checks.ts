// The file checks every 9P server the guest mounts must pass: our own
// (test/e2e/ninep.test.ts) and Debian's diod through the WebSocket bridge
// (test/e2e/ninep-diod.test.ts). Each check runs a script in the guest and
// then looks at the result on the host side.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { runCli, type RunResult } from './guest.js';

export interface MountUnderTest {
  /** The host directory the guest sees (known once the suite's before() ran). */
  hostDir(): string;
  /** The --mount value that puts it at /mnt/host. */
  mountArg(): string;
}

function sh(m: MountUnderTest, script: string): Promise<RunResult> {
  return runCli(['--mount', m.mountArg(), '--', 'sh', '-c', script], { timeoutMs: 120_000 });
}

/** `ls -l` mode letters for a host st_mode (regular files and directories). */
function modeString(mode: number): string {
  const kind = (mode & 0o170000) === 0o040000 ? 'd' : '-';
  const bits = 'rwxrwxrwx';
  let out = kind;
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

/** Registers the shared checks as tests of the current describe(). */
export function fileSemanticsChecks(m: MountUnderTest): void {
  it('create, write, read back, append, truncate, rename, delete, mkdir/rmdir, chmod', async () => {
    const dir = m.hostDir();
    writeFileSync(join(dir, 'from-host.txt'), 'written by the host\n');
    const r = await sh(
      m,
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
    const dir = m.hostDir();
    const r = await sh(
      m,
      'cd /mnt/host && echo target > tgt && ln -s tgt sym && ln tgt hard && readlink sym && cat sym && stat -c %h tgt',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tgt\ntarget\n2\n');
    assert.equal(readlinkSync(join(dir, 'sym')), 'tgt');
    assert.equal(statSync(join(dir, 'hard')).ino, statSync(join(dir, 'tgt')).ino);
  });

  it('a 100 MB file written in the guest has the same md5 on both sides', async () => {
    const dir = m.hostDir();
    const r = await sh(
      m,
      'dd if=/dev/urandom of=/mnt/host/big bs=1M count=100 2>/dev/null && md5sum /mnt/host/big',
    );
    assert.equal(r.status, 0, r.stderr);
    const host = createHash('md5')
      .update(readFileSync(join(dir, 'big')))
      .digest('hex');
    assert.equal(r.stdout, `${host}  /mnt/host/big\n`);
    rmSync(join(dir, 'big'));
  });

  it('ls -l modes, sizes and times are the host stat()', async () => {
    const dir = m.hostDir();
    writeFileSync(join(dir, 'sized'), Buffer.alloc(12345, 1));
    const r = await sh(m, 'ls -lnd --full-time /mnt/host/sized /mnt/host/d');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    for (const [line, name] of [
      [lines[0] ?? '', 'd'],
      [lines[1] ?? '', 'sized'],
    ] as const) {
      // mode links uid gid size date time zone name
      const f = line.trim().split(/\s+/);
      const st = statSync(join(dir, name));
      const when = new Date(Math.floor(st.mtimeMs / 1000) * 1000)
        .toISOString()
        .replace('T', ' ')
        .slice(0, 19);
      assert.equal(f[0], modeString(st.mode), line);
      assert.equal(f[4], String(st.size), line);
      assert.equal(`${f[5]} ${f[6]}`, when, line);
      assert.equal(f[8], `/mnt/host/${name}`, line);
    }
  });
}
