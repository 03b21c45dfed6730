// The file checks every 9P server the guest mounts must pass: our own on a
// host directory (test/e2e/ninep.test.ts) and on a tree in memory
// (test/e2e/ninep-memory.test.ts), and Debian's diod through the WebSocket
// bridge (test/e2e/ninep-diod.test.ts). Each check runs a script in the
// guest and then looks at the result in the storage, through a StoreView.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { nameOf, S_IFDIR, S_IFMT, type NinePBackend } from '../../src/core/ninep/backend.js';
import { runCli, type RunResult } from './guest.js';

/** What a check needs to see of a file in the storage under test. */
interface ViewStat {
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: bigint;
  readonly isDirectory: boolean;
}

/** The storage behind a mount, as the checks look at it ('/'-separated names). */
export interface StoreView {
  writeFile(name: string, data: string | Uint8Array): void;
  readFile(name: string): Buffer;
  exists(name: string): boolean;
  stat(name: string): ViewStat;
  readlink(name: string): string;
  remove(name: string): void;
}

/** A host directory (known once the suite's before() ran). */
export function dirView(dir: () => string): StoreView {
  return {
    writeFile: (name, data) => writeFileSync(join(dir(), name), data),
    readFile: (name) => readFileSync(join(dir(), name)),
    exists: (name) => existsSync(join(dir(), name)),
    stat: (name) => {
      const st = statSync(join(dir(), name), { bigint: true });
      return {
        mode: Number(st.mode),
        size: Number(st.size),
        mtimeMs: Number(st.mtimeMs),
        ino: st.ino,
        isDirectory: st.isDirectory(),
      };
    },
    readlink: (name) => readlinkSync(join(dir(), name), 'utf8'),
    remove: (name) => rmSync(join(dir(), name)),
  };
}

/** Any 9P storage, looked at through its own interface. */
export function backendView(b: NinePBackend): StoreView {
  const path = (name: string): Uint8Array[] => name.split('/').map(nameOf);
  return {
    writeFile: (name, data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      const f = b.create(path(name), { access: 1, truncate: true, append: false }, 0o644, false);
      f.write(bytes, 0);
      f.close();
    },
    readFile: (name) => {
      const f = b.open(path(name), { access: 0, truncate: false, append: false });
      const buf = Buffer.alloc(Number(f.stat().size));
      for (let at = 0; at < buf.length;) at += f.read(buf.subarray(at), at);
      f.close();
      return buf;
    },
    exists: (name) => {
      try {
        b.lstat(path(name));
        return true;
      } catch {
        return false;
      }
    },
    stat: (name) => {
      const st = b.lstat(path(name));
      return {
        mode: st.mode,
        size: Number(st.size),
        mtimeMs: Number(st.mtimeNs / 1_000_000n),
        ino: st.ino,
        isDirectory: (st.mode & S_IFMT) === S_IFDIR,
      };
    },
    readlink: (name) => Buffer.from(b.readlink(path(name))).toString(),
    remove: (name) => b.unlink(path(name)),
  };
}

export interface MountUnderTest {
  /** The storage the guest sees at /mnt/host. */
  readonly store: StoreView;
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
    const store = m.store;
    store.writeFile('from-host.txt', 'written by the host\n');
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
    assert.equal(store.readFile('b.txt').toString(), 'one\ntwo\n');
    assert.ok(!store.exists('a.txt'));
    assert.equal(store.readFile('t.bin').toString(), '0123');
    assert.ok(!store.exists('del.txt'));
    assert.ok(store.stat('d').isDirectory);
    assert.ok(!store.exists('d/e'));
    assert.equal(store.stat('mode.sh').mode & 0o777, 0o750);
  });

  it('symlinks and hard links', async () => {
    const store = m.store;
    const r = await sh(
      m,
      'cd /mnt/host && echo target > tgt && ln -s tgt sym && ln tgt hard && readlink sym && cat sym && stat -c %h tgt',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tgt\ntarget\n2\n');
    assert.equal(store.readlink('sym'), 'tgt');
    assert.equal(store.stat('hard').ino, store.stat('tgt').ino);
  });

  it('a 100 MB file written in the guest has the same md5 on both sides', async () => {
    const store = m.store;
    const r = await sh(
      m,
      'dd if=/dev/urandom of=/mnt/host/big bs=1M count=100 2>/dev/null && md5sum /mnt/host/big',
    );
    assert.equal(r.status, 0, r.stderr);
    const host = createHash('md5').update(store.readFile('big')).digest('hex');
    assert.equal(r.stdout, `${host}  /mnt/host/big\n`);
    store.remove('big');
  });

  it('ls -l modes, sizes and times are the host stat()', async () => {
    const store = m.store;
    store.writeFile('sized', Buffer.alloc(12345, 1));
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
      const st = store.stat(name);
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
