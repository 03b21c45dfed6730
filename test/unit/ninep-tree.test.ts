// The in-memory 9P storage (src/core/ninep/tree-store.ts, memory-backend.ts)
// against Linux itself: the same random sequence of storage operations is
// made on a TreeStore and on a host directory through the Node backend, and
// every result — the errno of a failure, a file's type, permissions, size,
// link count and contents, a directory's names — must be the same. Then the
// engine over a TreeStore: what only a tree in memory can get wrong.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  errnoOf,
  nameOf,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type NinePBackend,
} from '../../src/core/ninep/backend.js';
import { NinePEngine } from '../../src/core/ninep/engine.js';
import {
  decodeDirents,
  decodeReply,
  encodeRequest,
  NOFID,
  NOTAG,
} from '../../src/core/ninep/codec.js';
import { memoryBackend } from '../../src/core/ninep/memory-backend.js';
import { Errno } from '../../src/core/errno.js';
import { NodeFsBackend } from '../../src/node/ninep/fs-backend.js';
import { seededRandom as random } from '../helpers/random.js';

type Path = Uint8Array[];
const DIR_NAMES = ['a', 'b', 'c'].map(nameOf);
// Symlinks are only ever named 's', and 's' is never a path's middle: the
// engine's walk never goes through a symlink, so no path it makes does.
const S = nameOf('s');

/** The outcome of one operation, comparable across backends. */
function outcome(b: NinePBackend, op: (b: NinePBackend) => unknown): string {
  try {
    const r = op(b);
    return r === undefined ? 'ok' : `ok ${String(r)}`;
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === Errno.EIO) throw err; // not an errno a backend means to give
    return `errno ${errno}`;
  }
}

/** What lstat says that both backends must agree on (a directory's size is the host fs's own). */
function describeStat(b: NinePBackend, p: Path): string {
  const st = b.lstat(p);
  const type = st.mode & S_IFMT;
  const size = type === S_IFREG || type === S_IFLNK ? ` size ${st.size}` : '';
  return `mode ${(st.mode >>> 0).toString(8)} nlink ${st.nlink} uid ${st.uid}${size}`;
}

function contents(b: NinePBackend, p: Path): string {
  if ((b.lstat(p).mode & S_IFMT) !== S_IFREG) return 'not a file';
  const f = b.open(p, { access: 0, truncate: false, append: false });
  try {
    const buf = new Uint8Array(64);
    return Buffer.from(buf.subarray(0, f.read(buf, 0))).toString('hex');
  } finally {
    f.close();
  }
}

describe('tree store against Linux (random operations)', () => {
  let base: string;
  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ninep-tree-'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`seed ${seed}: 400 operations give the same results`, () => {
      const dir = path.join(base, String(seed));
      fs.mkdirSync(dir);
      const host = new NodeFsBackend(dir);
      const tree = memoryBackend();
      const rnd = random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
      const dirPath = (): Path => {
        const n = Math.floor(rnd() * 3);
        return Array.from({ length: n }, () => pick(DIR_NAMES));
      };
      const anyPath = (): Path => [...dirPath(), rnd() < 0.2 ? S : pick(DIR_NAMES)];
      /** A second path whose last name is of the same kind (a symlink stays named 's'). */
      const like = (p: Path): Path => [...dirPath(), p[p.length - 1] === S ? S : pick(DIR_NAMES)];
      const bytes = (): Uint8Array =>
        Uint8Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256));
      // umask 0, so the host keeps the permissions asked for, as the guest's
      // kernel has already applied its own umask to them.
      const umask = process.umask(0);
      try {
        for (let step = 0; step < 400; step++) {
          const p = anyPath();
          const q = like(p);
          const data = bytes();
          const at = Math.floor(rnd() * 12);
          const perm = pick([0o755, 0o644, 0o600, 0o4711]);
          // Every random choice is made here: both backends must get the same operation.
          const append = rnd() < 0.5;
          const listed = dirPath();
          const ops: [string, (b: NinePBackend) => unknown][] = [
            ['mkdir', (b) => b.mkdir(p, perm & 0o777)],
            [
              'create',
              (b) =>
                b.create(p, { access: 2, truncate: false, append: false }, perm, false).close(),
            ],
            [
              'create excl',
              (b) => b.create(p, { access: 1, truncate: false, append: false }, perm, true).close(),
            ],
            [
              'write',
              (b) => {
                if ((b.lstat(p).mode & S_IFMT) !== S_IFREG) return 'skip';
                const f = b.open(p, { access: 1, truncate: false, append });
                try {
                  return f.write(data, at);
                } finally {
                  f.close();
                }
              },
            ],
            [
              'open trunc',
              (b) => {
                if ((b.lstat(p).mode & S_IFMT) !== S_IFREG) return 'skip';
                b.open(p, { access: 2, truncate: true, append: false }).close();
              },
            ],
            ['truncate', (b) => b.truncate(p, at)],
            ['unlink', (b) => ((b.lstat(p).mode & S_IFMT) === 0o040000 ? 'skip' : b.unlink(p))],
            ['rmdir', (b) => b.rmdir(p)],
            ['rename', (b) => b.rename(p, q)],
            ['link', (b) => b.link(p, q)],
            [
              'symlink',
              (b) =>
                p[p.length - 1] === S
                  ? b.symlink(
                      p,
                      data.filter((x) => x !== 0 && x !== 0x2f),
                    )
                  : 'skip',
            ],
            ['readlink', (b) => Buffer.from(b.readlink(p)).toString('hex')],
            ['chmod', (b) => ((b.lstat(p).mode & S_IFMT) === S_IFLNK ? 'skip' : b.chmod(p, perm))],
            ['chown', (b) => b.chown(p, 1000 + at, 2000 + at)],
            [
              'utimes',
              (b) => {
                b.utimes(p, BigInt(at) * 1_000_000_000n, BigInt(at + 7) * 1_000_000_000n);
                const st = b.lstat(p);
                return `${st.atimeNs} ${st.mtimeNs}`;
              },
            ],
            ['lstat', (b) => describeStat(b, p)],
            ['read', (b) => contents(b, p)],
            [
              'list',
              (b) =>
                b
                  .list(listed)
                  .map((e) => Buffer.from(e.name).toString())
                  .sort()
                  .join(','),
            ],
          ];
          const [name, op] = pick(ops);
          const want = outcome(host, op);
          const got = outcome(tree, op);
          const where = `step ${step}: ${name} ${p.map((c) => Buffer.from(c).toString()).join('/')} -> ${q.map((c) => Buffer.from(c).toString()).join('/')}`;
          assert.equal(got, want, where);
          // After every step, the named file must look the same on both.
          assert.equal(
            outcome(tree, (b) => describeStat(b, p)),
            outcome(host, (b) => describeStat(b, p)),
            `${where}: lstat after`,
          );
          assert.equal(
            outcome(tree, (b) => contents(b, p)),
            outcome(host, (b) => contents(b, p)),
            `${where}: contents after`,
          );
        }
      } finally {
        process.umask(umask);
      }
    });
  }
});

/** One request to an engine, its reply decoded. */
function rpc(
  e: NinePEngine,
  req: Record<string, unknown> & { kind: string },
): Record<string, unknown> {
  const raw = e.handle(encodeRequest({ tag: req.kind === 'version' ? NOTAG : 1, ...req } as never));
  assert.ok(raw);
  return decodeReply(raw, 1 << 20).reply as unknown as Record<string, unknown>;
}

function mountTree(backend: NinePBackend): NinePEngine {
  const e = new NinePEngine({ backend, readOnly: false });
  rpc(e, { kind: 'version', msize: 1 << 20, version: '9P2000.L' });
  const a = rpc(e, {
    kind: 'attach',
    fid: 0,
    afid: NOFID,
    uname: 'root',
    aname: new Uint8Array(),
    nUname: 0,
  });
  assert.equal(a.kind, 'attach');
  return e;
}

describe('9P engine over a tree in memory', () => {
  test('an unlinked file stays readable while open, and its space comes back at the close', () => {
    const store = memoryBackend({ maxBytes: 1 << 20 });
    const e = mountTree(store);
    rpc(e, { kind: 'walk', fid: 0, newfid: 1, names: [] });
    rpc(e, { kind: 'lcreate', fid: 1, name: nameOf('f'), flags: 2, mode: 0o644, gid: 0 });
    const data = new Uint8Array(300_000).fill(7);
    assert.deepEqual(rpc(e, { kind: 'write', fid: 1, offset: 0n, data }), {
      kind: 'write',
      count: data.length,
    });
    const freeBefore = store.statfs().bfree;
    assert.deepEqual(rpc(e, { kind: 'unlinkat', dirfid: 0, name: nameOf('f'), flags: 0 }), {
      kind: 'unlinkat',
    });
    const r = rpc(e, { kind: 'read', fid: 1, offset: 299_990n, count: 100 });
    assert.deepEqual(r.data, new Uint8Array(10).fill(7));
    assert.equal(store.statfs().bfree, freeBefore, 'still held while open');
    rpc(e, { kind: 'clunk', fid: 1 });
    assert.ok(store.statfs().bfree > freeBefore, 'freed at the last close');
  });

  test('a full store answers ENOSPC, and what fits is kept', () => {
    const e = mountTree(memoryBackend({ maxBytes: 100_000 }));
    rpc(e, { kind: 'walk', fid: 0, newfid: 1, names: [] });
    rpc(e, { kind: 'lcreate', fid: 1, name: nameOf('f'), flags: 2, mode: 0o644, gid: 0 });
    assert.equal(
      rpc(e, { kind: 'write', fid: 1, offset: 0n, data: new Uint8Array(60_000) }).count,
      60_000,
    );
    assert.deepEqual(
      rpc(e, { kind: 'write', fid: 1, offset: 60_000n, data: new Uint8Array(60_000) }),
      {
        kind: 'lerror',
        ecode: Errno.ENOSPC,
      },
    );
    const st = rpc(e, { kind: 'getattr', fid: 1, requestMask: 0x7ffn });
    assert.equal(st.size, 60_000n);
  });

  test('names are bytes, and two stores never share a lock', () => {
    const name = Uint8Array.from([0x61, 0xff, 0x0a, 0x62]);
    const one = mountTree(memoryBackend());
    const two = mountTree(memoryBackend());
    for (const e of [one, two]) {
      rpc(e, { kind: 'walk', fid: 0, newfid: 1, names: [] });
      rpc(e, { kind: 'lcreate', fid: 1, name, flags: 2, mode: 0o644, gid: 0 });
    }
    const listing = (e: NinePEngine): Uint8Array[] => {
      rpc(e, { kind: 'walk', fid: 0, newfid: 2, names: [] });
      rpc(e, { kind: 'lopen', fid: 2, flags: 0 });
      const r = rpc(e, { kind: 'readdir', fid: 2, offset: 0n, count: 4096 });
      rpc(e, { kind: 'clunk', fid: 2 });
      return decodeDirents(r.data as Uint8Array).map((d) => d.name);
    };
    assert.deepEqual(listing(one), [nameOf('.'), nameOf('..'), name]);
    // The same inode number in two stores is two files: both may lock it.
    const lk = { fid: 1, lockType: 1, start: 0n, length: 0n, procId: 1, clientId: nameOf('x') };
    assert.deepEqual(rpc(one, { kind: 'lock', flags: 0, ...lk }), { kind: 'lock', status: 0 });
    assert.deepEqual(rpc(two, { kind: 'lock', flags: 0, ...lk, procId: 2 }), {
      kind: 'lock',
      status: 0,
    });
    one.close();
    two.close();
  });
});
