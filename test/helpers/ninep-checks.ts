// The file checks every 9P server the guest mounts must pass: our own on a
// host directory (test/e2e/ninep.test.ts), on a tree in memory
// (test/e2e/ninep-memory.test.ts) and on the page's home in OPFS
// (test/e2e/web-home.test.ts), and Debian's diod through the WebSocket
// bridge (test/e2e/ninep-diod.test.ts). Each check runs a script in the
// guest and then looks at the result in the storage, through a StoreView.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import type { NinePBackend } from '../../src/core/ninep/backend.js';
import { inspect, type InspectRequest, type InspectResult } from '../../src/core/ninep/inspect.js';
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
  writeFile(name: string, data: string | Uint8Array): Promise<void>;
  /** Small files only (the page's view carries them through the DevTools protocol). */
  readFile(name: string): Promise<Buffer>;
  sha256(name: string): Promise<string>;
  exists(name: string): Promise<boolean>;
  stat(name: string): Promise<ViewStat>;
  readlink(name: string): Promise<string>;
  remove(name: string): Promise<void>;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A host directory (known once the suite's before() ran). */
export function dirView(dir: () => string): StoreView {
  return {
    writeFile: async (name, data) => writeFileSync(join(dir(), name), data),
    readFile: async (name) => readFileSync(join(dir(), name)),
    sha256: async (name) => sha256(readFileSync(join(dir(), name))),
    exists: async (name) => existsSync(join(dir(), name)),
    stat: async (name) => {
      const st = statSync(join(dir(), name), { bigint: true });
      return {
        mode: Number(st.mode),
        size: Number(st.size),
        mtimeMs: Number(st.mtimeMs),
        ino: st.ino,
        isDirectory: st.isDirectory(),
      };
    },
    readlink: async (name) => readlinkSync(join(dir(), name), 'utf8'),
    remove: async (name) => rmSync(join(dir(), name)),
  };
}

/**
 * A storage looked at through inspect requests (src/core/ninep/inspect.ts):
 * answered by a backend in this process, or by the page's 9P server thread.
 */
export function inspectView(ask: (r: InspectRequest) => Promise<InspectResult>): StoreView {
  const must = async (r: InspectRequest): Promise<InspectResult & { ok: true }> => {
    const result = await ask(r);
    if (!result.ok) throw new Error(`${r.op} ${r.path}: errno ${result.errno}`);
    return result;
  };
  const read = async (name: string): Promise<Buffer> =>
    Buffer.from((await must({ op: 'read', path: name })).data ?? []);
  return {
    writeFile: async (name, data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      await must({ op: 'write', path: name, data: bytes });
    },
    readFile: read,
    sha256: async (name) => sha256(await read(name)),
    exists: async (name) => (await ask({ op: 'lstat', path: name })).ok,
    stat: async (name) => {
      const st = (await must({ op: 'lstat', path: name })).stat!;
      return { ...st, ino: BigInt(st.ino) };
    },
    readlink: async (name) => (await must({ op: 'readlink', path: name })).target ?? '',
    remove: async (name) => void (await must({ op: 'unlink', path: name })),
  };
}

/** Any 9P storage in this process, looked at through its own interface. */
export function backendView(b: NinePBackend): StoreView {
  return inspectView(async (r) => inspect(b, r));
}

export interface MountUnderTest {
  /** The storage the guest sees at `dir`. */
  readonly store: StoreView;
  /** Where the guest sees it (default /mnt/host). */
  readonly dir?: string;
  /** Runs a shell script in a guest that has it mounted. */
  sh(script: string): Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/** A mount made by the CLI: `--mount ARG` with ARG's guest path /mnt/host. */
export function cliMount(store: StoreView, mountArg: () => string): MountUnderTest {
  return {
    store,
    sh: (script: string): Promise<RunResult> =>
      runCli(['--mount', mountArg(), '--', 'sh', '-c', script], { timeoutMs: 120_000 }),
  };
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
  const dir = m.dir ?? '/mnt/host';
  it('create, write, read back, append, truncate, rename, delete, mkdir/rmdir, chmod', async () => {
    const store = m.store;
    await store.writeFile('from-host.txt', 'written by the host\n');
    const r = await m.sh(
      [
        `cd ${dir}`,
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
    assert.equal((await store.readFile('b.txt')).toString(), 'one\ntwo\n');
    assert.ok(!(await store.exists('a.txt')));
    assert.equal((await store.readFile('t.bin')).toString(), '0123');
    assert.ok(!(await store.exists('del.txt')));
    assert.ok((await store.stat('d')).isDirectory);
    assert.ok(!(await store.exists('d/e')));
    assert.equal((await store.stat('mode.sh')).mode & 0o777, 0o750);
  });

  it('symlinks and hard links', async () => {
    const store = m.store;
    const r = await m.sh(
      `cd ${dir} && echo target > tgt && ln -s tgt sym && ln tgt hard && readlink sym && cat sym && stat -c %h tgt`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'tgt\ntarget\n2\n');
    assert.equal(await store.readlink('sym'), 'tgt');
    assert.equal((await store.stat('hard')).ino, (await store.stat('tgt')).ino);
  });

  it('a 100 MB file written in the guest has the same SHA-256 on both sides', async () => {
    const store = m.store;
    const r = await m.sh(
      `dd if=/dev/urandom of=${dir}/big bs=1M count=100 2>/dev/null && sha256sum ${dir}/big`,
    );
    assert.equal(r.status, 0, r.stderr);
    const host = await store.sha256('big');
    assert.equal(r.stdout, `${host}  ${dir}/big\n`);
    await store.remove('big');
  });

  it("a file written again a second later shows the second write's time, as stored", async () => {
    const store = m.store;
    const r = await m.sh(
      `cd ${dir} && echo one > twice && stat -c %Y twice && sleep 1 && echo two >> twice && stat -c '%Y %s' twice`,
    );
    assert.equal(r.status, 0, r.stderr);
    const [first, second] = r.stdout.trim().split('\n');
    const st = await store.stat('twice');
    assert.equal(second, `${Math.floor(st.mtimeMs / 1000)} 8`);
    assert.ok(Number(second?.split(' ')[0]) > Number(first), r.stdout);
  });

  it("a directory changed a second later shows the change's time, as stored", async () => {
    // With :cache, the directory's attributes are stale after a create or an
    // unlink in it and are asked for again by stat (kernel patch 0015).
    const store = m.store;
    const r = await m.sh(
      `cd ${dir} && mkdir dd && touch dd/old && stat -c %Y dd && sleep 1 && touch dd/new && rm dd/old && stat -c %Y dd`,
    );
    assert.equal(r.status, 0, r.stderr);
    const [first, second] = r.stdout.trim().split('\n');
    const st = await store.stat('dd');
    assert.equal(second, `${Math.floor(st.mtimeMs / 1000)}`);
    assert.ok(Number(second) > Number(first), r.stdout);
  });

  it('ls -l modes, sizes and times are the host stat()', async () => {
    const store = m.store;
    await store.writeFile('sized', Buffer.alloc(12345, 1));
    const r = await m.sh(`ls -lnd --full-time ${dir}/sized ${dir}/d`);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    for (const [line, name] of [
      [lines[0] ?? '', 'd'],
      [lines[1] ?? '', 'sized'],
    ] as const) {
      // mode links uid gid size date time zone name
      const f = line.trim().split(/\s+/);
      const st = await store.stat(name);
      const when = new Date(Math.floor(st.mtimeMs / 1000) * 1000)
        .toISOString()
        .replace('T', ' ')
        .slice(0, 19);
      assert.equal(f[0], modeString(st.mode), line);
      assert.equal(f[4], String(st.size), line);
      assert.equal(`${f[5]} ${f[6]}`, when, line);
      assert.equal(f[8], `${dir}/${name}`, line);
    }
  });
}
