// The host's 9P2000.L file server (src/node/ninep/server.ts) on a temporary
// directory: the operations Linux v9fs uses, confinement to the export root,
// read-only exports, and robustness against malformed and random frames.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AT_REMOVEDIR,
  GetattrMask,
  LockStatus,
  LockType,
  MsgType,
  NOFID,
  NOTAG,
  NinePWriter,
  QidType,
  SetattrMask,
  decodeDirents,
  decodeReply,
  encodeRequest,
  type NinePReply,
  type NinePRequest,
  type ReplyKind,
  type ReplyOf,
} from '../../src/core/ninep/codec.js';
import { Errno } from '../../src/core/errno.js';
import { NinePServer } from '../../src/node/ninep/server.js';
import { seededRandom as prng } from '../helpers/random.js';

type Untagged<R> = R extends unknown ? Omit<R, 'tag'> : never;
type Request = Untagged<NinePRequest>;

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const MSIZE = 65536;

/** A minimal client: one request at a time, replies decoded. */
class Client {
  private tag = 0;
  constructor(readonly server: NinePServer) {}

  async rpc(req: Request): Promise<NinePReply> {
    const tag = req.kind === 'version' ? NOTAG : this.tag++ & 0x7fff;
    const raw = await this.server.handle(encodeRequest({ ...req, tag } as NinePRequest));
    assert.ok(raw, `no reply to ${req.kind}`);
    const { tag: got, reply } = decodeReply(raw, MSIZE);
    assert.equal(got, tag);
    return reply;
  }

  async ok<K extends ReplyKind>(req: Request & { kind: K }): Promise<ReplyOf<K>> {
    const r = await this.rpc(req);
    assert.equal(r.kind, req.kind, `expected R${req.kind}, got ${JSON.stringify(r, bigintJson)}`);
    return r as ReplyOf<K>;
  }

  async fails(req: Request, errno: number): Promise<void> {
    assert.deepEqual(
      await this.rpc(req),
      { kind: 'lerror', ecode: errno },
      `${req.kind} should fail`,
    );
  }

  /** Tversion + Tattach as fid 0. */
  async mount(): Promise<void> {
    const v = await this.ok({ kind: 'version', msize: MSIZE, version: '9P2000.L' });
    assert.deepEqual(v, { kind: 'version', msize: MSIZE, version: '9P2000.L' });
    await this.ok({
      kind: 'attach',
      fid: 0,
      afid: NOFID,
      uname: 'root',
      aname: utf8(''),
      nUname: 0,
    });
  }

  walk(fid: number, newfid: number, ...names: string[]): Promise<ReplyOf<'walk'>> {
    return this.ok({ kind: 'walk', fid, newfid, names: names.map(utf8) });
  }

  async readAll(fid: number): Promise<string> {
    const r = await this.ok({ kind: 'read', fid, offset: 0n, count: 4096 });
    return Buffer.from(r.data).toString();
  }

  /** The names in a directory as text (for names that are UTF-8). */
  async list(fid: number): Promise<string[]> {
    return (await this.listBytes(fid)).map((n) => Buffer.from(n).toString());
  }

  /** The names in a directory, as the bytes the server sent. */
  async listBytes(fid: number): Promise<Uint8Array[]> {
    const names: Uint8Array[] = [];
    let offset = 0n;
    for (;;) {
      // A small count forces several Treaddir calls, exercising the cookies.
      const r = await this.ok({ kind: 'readdir', fid, offset, count: 64 });
      const ents = decodeDirents(r.data);
      if (ents.length === 0) return names;
      for (const e of ents) names.push(e.name);
      offset = ents[ents.length - 1]?.offset ?? 0n;
    }
  }
}

/** A name as the bytes of its UTF-8 (a plain Uint8Array, as the codec decodes to). */
function utf8(name: string): Uint8Array {
  return new TextEncoder().encode(name);
}

/** A name given byte by byte: each char of `s` is one byte (0-255), UTF-8 or not. */
function raw(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

function text(name: Uint8Array): string {
  return Buffer.from(name).toString();
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

let base: string;
let root: string;

function setupTree(): void {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ninep-'));
  root = path.join(base, 'export');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'hello.txt'), 'hello world\n');
  fs.mkdirSync(path.join(base, 'outside'));
  fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), 'SECRET');
  fs.symlinkSync('/etc', path.join(root, 'etc-link'));
  fs.symlinkSync('../outside', path.join(root, 'up-link'));
  fs.symlinkSync(path.join(base, 'outside', 'secret.txt'), path.join(root, 'secret-link'));
}

async function mounted(readOnly = false): Promise<Client> {
  const c = new Client(new NinePServer({ root, readOnly, maxMsize: MSIZE }));
  await c.mount();
  return c;
}

describe('9P server', () => {
  before(setupTree);
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  test('version: other protocols get "unknown", msize is capped', async () => {
    const c = new Client(new NinePServer({ root, readOnly: false, maxMsize: MSIZE }));
    assert.deepEqual(await c.rpc({ kind: 'version', msize: 8192, version: '9P2000' }), {
      kind: 'version',
      msize: 8192,
      version: 'unknown',
    });
    assert.deepEqual(await c.rpc({ kind: 'version', msize: 1 << 30, version: '9P2000.L' }), {
      kind: 'version',
      msize: MSIZE,
      version: '9P2000.L',
    });
  });

  test('attach, walk, read an existing file, getattr', async () => {
    const c = await mounted();
    const w = await c.walk(0, 1, 'hello.txt');
    assert.equal(w.qids.length, 1);
    assert.equal(w.qids[0]?.path, BigInt(fs.statSync(path.join(root, 'hello.txt')).ino));
    const o = await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    assert.equal(o.qid.type, QidType.FILE);
    assert.equal(await c.readAll(1), 'hello world\n');
    const a = await c.ok({ kind: 'getattr', fid: 1, requestMask: BigInt(GetattrMask.ALL) });
    assert.equal(a.size, 12n);
    assert.equal(a.mode & 0o170000, 0o100000);
    assert.equal(a.valid, BigInt(GetattrMask.BASIC));
    assert.equal(a.nlink, 1n);
    await c.ok({ kind: 'clunk', fid: 1 });
    await c.fails({ kind: 'clunk', fid: 1 }, Errno.EBADF);
  });

  test('lcreate, write, read back, getattr size and mode', async () => {
    const c = await mounted();
    await c.walk(0, 1, 'sub');
    const r = await c.ok({
      kind: 'lcreate',
      fid: 1,
      name: utf8('new.txt'),
      flags: O_RDWR,
      mode: 0o640,
      gid: 0,
    });
    assert.equal(r.qid.type, QidType.FILE);
    const w = await c.ok({ kind: 'write', fid: 1, offset: 0n, data: Buffer.from('abcdef') });
    assert.equal(w.count, 6);
    await c.ok({ kind: 'write', fid: 1, offset: 3n, data: Buffer.from('XY') });
    assert.equal(await c.readAll(1), 'abcXYf');
    await c.ok({ kind: 'fsync', fid: 1, datasync: 0 });
    const a = await c.ok({ kind: 'getattr', fid: 1, requestMask: BigInt(GetattrMask.BASIC) });
    assert.equal(a.size, 6n);
    assert.equal(a.mode & 0o777, 0o640 & ~process.umask());
    assert.equal(fs.readFileSync(path.join(root, 'sub', 'new.txt'), 'utf8'), 'abcXYf');
    // Exclusive create of an existing name fails.
    await c.walk(0, 2, 'sub');
    await c.fails(
      {
        kind: 'lcreate',
        fid: 2,
        name: utf8('new.txt'),
        flags: O_RDWR | 0o200,
        mode: 0o600,
        gid: 0,
      },
      Errno.EEXIST,
    );
  });

  test('readdir lists ".", ".." and the entries with their types', async () => {
    const c = await mounted();
    await c.walk(0, 1);
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    const names = await c.list(1);
    assert.deepEqual(names.sort(), ['.', '..', ...fs.readdirSync(root)].sort());
    const first = await c.ok({ kind: 'readdir', fid: 1, offset: 0n, count: 8192 });
    const sub = decodeDirents(first.data).find((e) => text(e.name) === 'sub');
    assert.equal(sub?.type, 4);
    assert.equal(sub?.qid.type, QidType.DIR);
    const link = decodeDirents(first.data).find((e) => text(e.name) === 'etc-link');
    assert.equal(link?.type, 10);
    // A file fid is not a directory.
    await c.walk(0, 2, 'hello.txt');
    await c.ok({ kind: 'lopen', fid: 2, flags: O_RDONLY });
    await c.fails({ kind: 'readdir', fid: 2, offset: 0n, count: 100 }, Errno.ENOTDIR);
  });

  test('mkdir, renameat, rename, unlinkat (file and AT_REMOVEDIR)', async () => {
    const c = await mounted();
    const m = await c.ok({ kind: 'mkdir', dfid: 0, name: utf8('d1'), mode: 0o755, gid: 0 });
    assert.equal(m.qid.type, QidType.DIR);
    assert.ok(fs.statSync(path.join(root, 'd1')).isDirectory());
    await c.fails({ kind: 'mkdir', dfid: 0, name: utf8('d1'), mode: 0o755, gid: 0 }, Errno.EEXIST);
    fs.writeFileSync(path.join(root, 'd1', 'f'), 'x');
    await c.walk(0, 1, 'd1');
    await c.ok({
      kind: 'renameat',
      olddirfid: 1,
      oldname: utf8('f'),
      newdirfid: 0,
      newname: utf8('g'),
    });
    assert.ok(fs.existsSync(path.join(root, 'g')));
    // Trename moves the fid's own file and keeps the fid pointing at it.
    await c.walk(0, 2, 'g');
    await c.ok({ kind: 'rename', fid: 2, dfid: 1, name: utf8('h') });
    assert.ok(fs.existsSync(path.join(root, 'd1', 'h')));
    const a = await c.ok({ kind: 'getattr', fid: 2, requestMask: 1n });
    assert.equal(a.size, 1n);
    await c.fails(
      { kind: 'unlinkat', dirfid: 0, name: utf8('d1'), flags: AT_REMOVEDIR },
      Errno.ENOTEMPTY,
    );
    await c.fails({ kind: 'unlinkat', dirfid: 0, name: utf8('d1'), flags: 0 }, Errno.EISDIR);
    await c.ok({ kind: 'unlinkat', dirfid: 1, name: utf8('h'), flags: 0 });
    await c.ok({ kind: 'unlinkat', dirfid: 0, name: utf8('d1'), flags: AT_REMOVEDIR });
    assert.ok(!fs.existsSync(path.join(root, 'd1')));
    await c.fails({ kind: 'unlinkat', dirfid: 0, name: utf8('nope'), flags: 0 }, Errno.ENOENT);
  });

  test('symlink + readlink, link, remove', async () => {
    const c = await mounted();
    const s = await c.ok({
      kind: 'symlink',
      fid: 0,
      name: utf8('sl'),
      target: utf8('hello.txt'),
      gid: 0,
    });
    assert.equal(s.qid.type, QidType.SYMLINK);
    assert.equal(fs.readlinkSync(path.join(root, 'sl')), 'hello.txt');
    const w = await c.walk(0, 1, 'sl');
    assert.equal(w.qids[0]?.type, QidType.SYMLINK);
    assert.deepEqual(await c.rpc({ kind: 'readlink', fid: 1 }), {
      kind: 'readlink',
      target: utf8('hello.txt'),
    });
    await c.walk(0, 2, 'hello.txt');
    await c.ok({ kind: 'link', dfid: 0, fid: 2, name: utf8('hard') });
    assert.equal(
      fs.statSync(path.join(root, 'hard')).ino,
      fs.statSync(path.join(root, 'hello.txt')).ino,
    );
    await c.walk(0, 3, 'hard');
    await c.ok({ kind: 'remove', fid: 3 });
    assert.ok(!fs.existsSync(path.join(root, 'hard')));
    await c.fails({ kind: 'getattr', fid: 3, requestMask: 1n }, Errno.EBADF); // remove clunked it
    await c.ok({ kind: 'remove', fid: 1 });
  });

  test('setattr: truncate, chmod, times (explicit and now)', async () => {
    const c = await mounted();
    fs.writeFileSync(path.join(root, 'attr.txt'), '0123456789');
    await c.walk(0, 1, 'attr.txt');
    const base = { kind: 'setattr', fid: 1, mode: 0, uid: 0, gid: 0, size: 0n } as const;
    const times = { atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n };
    await c.ok({ ...base, ...times, valid: SetattrMask.SIZE, size: 4n });
    assert.equal(fs.readFileSync(path.join(root, 'attr.txt'), 'utf8'), '0123');
    await c.ok({ ...base, ...times, valid: SetattrMask.MODE, mode: 0o600 });
    assert.equal(fs.statSync(path.join(root, 'attr.txt')).mode & 0o777, 0o600);
    await c.ok({
      ...base,
      valid: SetattrMask.ATIME | SetattrMask.ATIME_SET | SetattrMask.MTIME | SetattrMask.MTIME_SET,
      atimeSec: 1000n,
      atimeNsec: 0n,
      mtimeSec: 2000n,
      mtimeNsec: 500_000_000n,
    });
    let st = fs.statSync(path.join(root, 'attr.txt'));
    assert.equal(st.atimeMs, 1_000_000);
    assert.equal(st.mtimeMs, 2_000_500);
    await c.ok({ ...base, ...times, valid: SetattrMask.MTIME });
    st = fs.statSync(path.join(root, 'attr.txt'));
    assert.ok(Math.abs(st.mtimeMs - Date.now()) < 60_000, 'mtime is now');
    assert.equal(st.atimeMs, 1_000_000, 'atime untouched');
    // Owner changes are best effort (no error even when unprivileged).
    await c.ok({
      ...base,
      ...times,
      valid: SetattrMask.UID | SetattrMask.GID,
      uid: st.uid,
      gid: st.gid,
    });
  });

  test('statfs, lock, getlock, flush', async () => {
    const c = await mounted();
    const s = await c.ok({ kind: 'statfs', fid: 0 });
    assert.ok(s.bsize > 0);
    assert.ok(s.blocks > 0n);
    assert.equal(s.namelen, 255);
    const lk = { fid: 0, lockType: 1, start: 0n, length: 0n, procId: 7, clientId: utf8('guest') };
    assert.deepEqual(await c.rpc({ kind: 'lock', flags: 0, ...lk }), { kind: 'lock', status: 0 });
    assert.deepEqual(await c.rpc({ kind: 'getlock', ...lk }), {
      kind: 'getlock',
      lockType: 2,
      start: 0n,
      length: 0n,
      procId: 7,
      clientId: utf8('guest'),
    });
    assert.deepEqual(await c.rpc({ kind: 'flush', oldtag: 3 }), { kind: 'flush' });
    // Drop the lock: the table is process-wide and keyed by inode, which a
    // later suite's new tree may reuse once this one is deleted.
    await c.server.close();
  });

  test('read-only export refuses every write with EROFS but still reads', async () => {
    const c = await mounted(true);
    await c.walk(0, 1, 'hello.txt');
    await c.fails({ kind: 'lopen', fid: 1, flags: O_WRONLY }, Errno.EROFS);
    await c.fails({ kind: 'lopen', fid: 1, flags: O_RDONLY | 0o1000 }, Errno.EROFS);
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    assert.equal(await c.readAll(1), 'hello world\n');
    await c.fails({ kind: 'write', fid: 1, offset: 0n, data: new Uint8Array(1) }, Errno.EROFS);
    await c.fails(
      { kind: 'lcreate', fid: 0, name: utf8('x'), flags: O_RDWR, mode: 0o644, gid: 0 },
      Errno.EROFS,
    );
    await c.fails({ kind: 'mkdir', dfid: 0, name: utf8('x'), mode: 0o755, gid: 0 }, Errno.EROFS);
    await c.fails(
      { kind: 'symlink', fid: 0, name: utf8('x'), target: utf8('y'), gid: 0 },
      Errno.EROFS,
    );
    await c.fails({ kind: 'link', dfid: 0, fid: 1, name: utf8('x') }, Errno.EROFS);
    await c.fails({ kind: 'unlinkat', dirfid: 0, name: utf8('hello.txt'), flags: 0 }, Errno.EROFS);
    await c.fails(
      {
        kind: 'renameat',
        olddirfid: 0,
        oldname: utf8('hello.txt'),
        newdirfid: 0,
        newname: utf8('z'),
      },
      Errno.EROFS,
    );
    await c.fails({ kind: 'rename', fid: 1, dfid: 0, name: utf8('z') }, Errno.EROFS);
    const sa = {
      kind: 'setattr',
      fid: 1,
      valid: 1,
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0n,
    } as const;
    await c.fails({ ...sa, atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n }, Errno.EROFS);
    await c.fails({ kind: 'remove', fid: 1 }, Errno.EROFS);
    assert.equal(fs.readFileSync(path.join(root, 'hello.txt'), 'utf8'), 'hello world\n');
  });
});

/** The host directory's entries as exact bytes, each in hex (comparable with deepEqual). */
function hostNames(dir: string | Buffer): string[] {
  return fs
    .readdirSync(dir, { encoding: 'buffer' })
    .map((n) => n.toString('hex'))
    .sort();
}

function hex(name: Uint8Array): string {
  return Buffer.from(name).toString('hex');
}

/** root/name for a name given as bytes: a Buffer path, as Node's fs takes it. */
function under(dir: string, ...names: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from('/'), n])]);
}

describe('9P server: names are bytes, not text', () => {
  before(setupTree);
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  const AFFB = raw('a\xffb');
  const HFEI = raw('h\xfei');
  const LONE_C3 = raw('\xc3');
  const CONT = raw('x\x80y');

  test('a host file named h\\xfei is listed, walked to and read with its exact bytes', async () => {
    fs.writeFileSync(under(root, HFEI), 'from the host\n');
    const c = await mounted();
    await c.walk(0, 1);
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    const listed = (await c.listBytes(1)).map(hex);
    assert.ok(listed.includes(hex(HFEI)), `h\\xfei missing from ${listed.join(' ')}`);
    assert.deepEqual(
      listed.filter((n) => n !== hex(utf8('.')) && n !== hex(utf8('..'))).sort(),
      hostNames(root),
    );
    await c.ok({ kind: 'walk', fid: 0, newfid: 2, names: [HFEI] });
    await c.ok({ kind: 'lopen', fid: 2, flags: O_RDONLY });
    assert.equal(await c.readAll(2), 'from the host\n');
    // The same name with its byte replaced by U+FFFD is another, missing file.
    await c.fails({ kind: 'walk', fid: 0, newfid: 3, names: [utf8('h\ufffdi')] }, Errno.ENOENT);
    fs.rmSync(under(root, HFEI));
    await c.server.close();
  });

  test('lcreate, mkdir, renameat, rename, link, unlinkat with invalid UTF-8 names', async () => {
    const c = await mounted();
    await c.walk(0, 1);
    await c.ok({ kind: 'lcreate', fid: 1, name: AFFB, flags: O_RDWR, mode: 0o644, gid: 0 });
    await c.ok({ kind: 'write', fid: 1, offset: 0n, data: Buffer.from('bytes') });
    assert.ok(hostNames(root).includes(hex(AFFB)), 'the host sees a\\xffb');
    assert.equal(fs.readFileSync(under(root, AFFB), 'utf8'), 'bytes');

    const m = await c.ok({ kind: 'mkdir', dfid: 0, name: LONE_C3, mode: 0o755, gid: 0 });
    assert.equal(m.qid.type, QidType.DIR);
    assert.ok(fs.statSync(under(root, LONE_C3)).isDirectory());
    await c.ok({ kind: 'walk', fid: 0, newfid: 2, names: [LONE_C3] });
    await c.ok({
      kind: 'renameat',
      olddirfid: 0,
      oldname: AFFB,
      newdirfid: 2,
      newname: CONT,
    });
    assert.deepEqual(hostNames(under(root, LONE_C3)), [hex(CONT)]);
    assert.ok(!hostNames(root).includes(hex(AFFB)));
    // The open fid followed the rename: still the same file.
    assert.equal(await c.readAll(1), 'bytes');

    await c.ok({ kind: 'walk', fid: 2, newfid: 3, names: [CONT] });
    await c.ok({ kind: 'rename', fid: 3, dfid: 0, name: AFFB });
    assert.ok(hostNames(root).includes(hex(AFFB)));
    await c.ok({ kind: 'link', dfid: 2, fid: 3, name: HFEI });
    assert.equal(fs.statSync(under(root, LONE_C3, HFEI)).ino, fs.statSync(under(root, AFFB)).ino);

    await c.ok({ kind: 'unlinkat', dirfid: 2, name: HFEI, flags: 0 });
    await c.ok({ kind: 'unlinkat', dirfid: 0, name: AFFB, flags: 0 });
    await c.ok({ kind: 'unlinkat', dirfid: 0, name: LONE_C3, flags: AT_REMOVEDIR });
    for (const n of [AFFB, LONE_C3, HFEI]) assert.ok(!hostNames(root).includes(hex(n)));
    await c.server.close();
  });

  test('symlink targets and readlink keep their bytes', async () => {
    const c = await mounted();
    const target = raw('../t\xfe/\xc3');
    await c.ok({ kind: 'symlink', fid: 0, name: HFEI, target, gid: 0 });
    assert.equal(
      fs.readlinkSync(under(root, HFEI), { encoding: 'buffer' }).toString('hex'),
      hex(target),
    );
    await c.ok({ kind: 'walk', fid: 0, newfid: 1, names: [HFEI] });
    assert.deepEqual(await c.rpc({ kind: 'readlink', fid: 1 }), { kind: 'readlink', target });
    fs.rmSync(under(root, HFEI));
    // A NUL cannot be in a target: refused, nothing made.
    await c.fails(
      { kind: 'symlink', fid: 0, name: HFEI, target: raw('a\0b'), gid: 0 },
      Errno.EINVAL,
    );
    assert.ok(!hostNames(root).includes(hex(HFEI)));
  });

  test('valid multi-byte UTF-8 names arrive as the same text on the host', async () => {
    const c = await mounted();
    await c.ok({ kind: 'mkdir', dfid: 0, name: utf8('grüße €😀'), mode: 0o755, gid: 0 });
    assert.ok(fs.statSync(path.join(root, 'grüße €😀')).isDirectory());
    await c.walk(0, 1);
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    assert.ok((await c.list(1)).includes('grüße €😀'));
    fs.rmdirSync(path.join(root, 'grüße €😀'));
  });

  test('an aname that is not UTF-8 picks that directory', async () => {
    fs.mkdirSync(under(root, raw('d\xff')));
    const c = new Client(new NinePServer({ root, readOnly: false, maxMsize: MSIZE }));
    await c.ok({ kind: 'version', msize: MSIZE, version: '9P2000.L' });
    const a = await c.ok({
      kind: 'attach',
      fid: 0,
      afid: NOFID,
      uname: 'root',
      aname: raw('/d\xff/'),
      nUname: 0,
    });
    assert.equal(a.qid.path, BigInt(fs.statSync(under(root, raw('d\xff'))).ino));
    fs.rmdirSync(under(root, raw('d\xff')));
  });

  test('an export root whose own path is not UTF-8 works, opens included', async () => {
    // Every host path then starts with non-UTF-8 bytes, and the /proc/self/fd
    // check of each open compares bytes with bytes.
    const odd = under(base, raw('exp\xfe'));
    fs.mkdirSync(odd);
    fs.writeFileSync(Buffer.concat([odd, Buffer.from('/f')]), 'in an odd root\n');
    const c = new Client(new NinePServer({ root: odd, readOnly: false, maxMsize: MSIZE }));
    await c.mount();
    await c.walk(0, 1, 'f');
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    assert.equal(await c.readAll(1), 'in an odd root\n');
    await c.walk(0, 2);
    await c.ok({ kind: 'lcreate', fid: 2, name: AFFB, flags: O_RDWR, mode: 0o644, gid: 0 });
    assert.deepEqual(hostNames(odd), [hex(AFFB), hex(utf8('f'))].sort());
    await c.server.close();
    fs.rmSync(odd, { recursive: true });
  });

  test('byte names cannot escape: "/" and NUL refused, ".."-like bytes are plain names', async () => {
    const c = await mounted();
    // '/' next to invalid UTF-8 is still a separator and refused.
    for (const name of [raw('\xff/..'), raw('../\xff'), raw('\xc3/'), raw('\xff\0')]) {
      await c.fails({ kind: 'walk', fid: 0, newfid: 1, names: [name] }, Errno.EINVAL);
      await c.fails({ kind: 'mkdir', dfid: 0, name, mode: 0o755, gid: 0 }, Errno.EINVAL);
      await c.fails(
        { kind: 'lcreate', fid: 0, name, flags: O_RDWR, mode: 0o644, gid: 0 },
        Errno.EINVAL,
      );
    }
    // Names that only look like "..", "/" or "." to a lossy decoder are plain
    // names in the export: an overlong "/" (c0 af), a fullwidth "．．"
    // (UTF-8 of U+FF0E), "..\xff".
    for (const name of [raw('\xc0\xaf'), utf8('\uff0e\uff0e'), raw('..\xff')]) {
      await c.ok({ kind: 'mkdir', dfid: 0, name, mode: 0o755, gid: 0 });
      assert.ok(fs.statSync(under(root, name)).isDirectory());
      fs.rmdirSync(under(root, name));
    }
    // NAME_MAX is counted in bytes: 128 two-byte characters are 256 bytes.
    await c.fails(
      { kind: 'mkdir', dfid: 0, name: utf8('ü'.repeat(128)), mode: 0o755, gid: 0 },
      Errno.ENAMETOOLONG,
    );
    assert.deepEqual(
      hostNames(base),
      ['export', 'outside'].map((n) => hex(utf8(n))).sort(),
      'nothing made next to the export',
    );
  });

  test('a non-UTF-8 directory swapped for a symlink out of the export is refused', async () => {
    const dir = raw('s\xff');
    fs.mkdirSync(under(root, dir, utf8('in')), { recursive: true });
    const c = await mounted();
    await c.ok({ kind: 'walk', fid: 0, newfid: 1, names: [dir, utf8('in')] });
    // The host swaps the directory for a symlink to a place outside with an "in" too.
    fs.renameSync(under(root, dir), under(base, raw('moved\xff')));
    fs.mkdirSync(path.join(base, 'outside', 'in'));
    fs.symlinkSync(path.join(base, 'outside'), under(root, dir));
    await c.fails({ kind: 'getattr', fid: 1, requestMask: 1n }, Errno.EACCES);
    await c.fails(
      { kind: 'lcreate', fid: 1, name: AFFB, flags: O_RDWR, mode: 0o644, gid: 0 },
      Errno.EACCES,
    );
    assert.deepEqual(hostNames(path.join(base, 'outside', 'in')), []);
    fs.rmSync(under(root, dir));
    fs.rmSync(under(base, raw('moved\xff')), { recursive: true });
    fs.rmdirSync(path.join(base, 'outside', 'in'));
  });

  test('a parent checked before is checked again when a symlink is swapped in above it', async () => {
    // The server remembers the parents it checked (fs-backend.ts checkParent).
    fs.mkdirSync(path.join(root, 'top', 'mid'), { recursive: true });
    fs.writeFileSync(path.join(root, 'top', 'mid', 'f'), 'inside');
    const c = await mounted();
    await c.ok({ kind: 'walk', fid: 0, newfid: 1, names: ['top', 'mid', 'f'].map(utf8) });
    await c.ok({ kind: 'getattr', fid: 1, requestMask: 1n });
    // The host swaps "top" for a symlink to a place outside with a mid/f too.
    fs.renameSync(path.join(root, 'top'), path.join(base, 'moved-top'));
    fs.mkdirSync(path.join(base, 'outside', 'mid'));
    fs.writeFileSync(path.join(base, 'outside', 'mid', 'f'), 'outside');
    fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'top'));
    await c.fails({ kind: 'getattr', fid: 1, requestMask: 1n }, Errno.EACCES);
    await c.fails({ kind: 'lopen', fid: 1, flags: O_RDONLY }, Errno.EACCES);
    fs.rmSync(path.join(root, 'top'));
    fs.rmSync(path.join(base, 'moved-top'), { recursive: true });
    fs.rmSync(path.join(base, 'outside', 'mid'), { recursive: true });
  });
});

describe('9P server confinement', () => {
  before(setupTree);
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  test('".." from the root stays at the root', async () => {
    const c = await mounted();
    const rootQid = (await c.walk(0, 1, '.')).qids[0];
    const w = await c.walk(0, 2, '..', '..', '..');
    assert.equal(w.qids.length, 3);
    for (const q of w.qids) assert.deepEqual(q, rootQid);
    const names = await (async () => {
      await c.ok({ kind: 'lopen', fid: 2, flags: O_RDONLY });
      return c.list(2);
    })();
    assert.ok(names.includes('hello.txt') && !names.includes('export'), 'still the export root');
    const up = await c.walk(0, 3, 'sub', '..', '..', 'hello.txt');
    assert.equal(up.qids.length, 4);
    assert.equal(up.qids[3]?.path, BigInt(fs.statSync(path.join(root, 'hello.txt')).ino));
  });

  test('aname picks a directory inside the export, never one outside', async () => {
    const attach = async (aname: string): Promise<NinePReply> => {
      const c = new Client(new NinePServer({ root, readOnly: false, maxMsize: MSIZE }));
      await c.ok({ kind: 'version', msize: MSIZE, version: '9P2000.L' });
      return c.rpc({
        kind: 'attach',
        fid: 0,
        afid: NOFID,
        uname: 'root',
        aname: utf8(aname),
        nUname: 0,
      });
    };
    const ino = (p: string): bigint => BigInt(fs.statSync(p).ino);
    const sub = await attach('sub');
    assert.equal(sub.kind === 'attach' ? sub.qid.path : -1n, ino(path.join(root, 'sub')));
    const slashes = await attach('/sub/./');
    assert.equal(slashes.kind === 'attach' ? slashes.qid.path : -1n, ino(path.join(root, 'sub')));
    // ".." at the export root stays there, so this names the root's "outside" (none).
    assert.deepEqual(await attach('../outside'), { kind: 'lerror', ecode: Errno.ENOENT });
    assert.deepEqual(await attach('..'), await attach(''));
    assert.deepEqual(await attach('hello.txt'), { kind: 'lerror', ecode: Errno.ENOTDIR });
    assert.deepEqual(await attach('etc-link'), { kind: 'lerror', ecode: Errno.ENOTDIR });
    assert.deepEqual(await attach('up-link/secret.txt'), { kind: 'lerror', ecode: Errno.ENOTDIR });
  });

  test('walk never follows symlinks out of the export', async () => {
    const c = await mounted();
    for (const link of ['etc-link', 'up-link']) {
      // The link itself is reached (its own qid) but cannot be walked through.
      const w = await c.walk(0, 1, link);
      assert.equal(w.qids[0]?.type, QidType.SYMLINK);
      const through = await c.rpc({
        kind: 'walk',
        fid: 0,
        newfid: 2,
        names: [utf8(link), utf8('secret.txt')],
      });
      assert.deepEqual(
        through,
        { kind: 'walk', qids: [w.qids[0]] },
        'short walk: stopped at the link',
      );
      await c.fails({ kind: 'walk', fid: 1, newfid: 2, names: [utf8('hostname')] }, Errno.ENOTDIR);
      await c.fails({ kind: 'lopen', fid: 1, flags: O_RDONLY }, Errno.ELOOP);
      await c.ok({ kind: 'clunk', fid: 1 });
    }
    assert.deepEqual(await c.rpc({ kind: 'readlink', fid: (await c.walk(0, 5, 'up-link'), 5) }), {
      kind: 'readlink',
      target: utf8('../outside'),
    });
  });

  test('a symlink to a file outside is never opened, truncated or read', async () => {
    const c = await mounted();
    await c.walk(0, 1, 'secret-link');
    await c.fails({ kind: 'lopen', fid: 1, flags: O_RDONLY }, Errno.ELOOP);
    await c.fails({ kind: 'read', fid: 1, offset: 0n, count: 100 }, Errno.EBADF);
    const sa = { kind: 'setattr', fid: 1, mode: 0o777, uid: 0, gid: 0 } as const;
    const t = { atimeSec: 0n, atimeNsec: 0n, mtimeSec: 0n, mtimeNsec: 0n };
    await c.fails({ ...sa, ...t, valid: SetattrMask.SIZE, size: 0n }, Errno.EINVAL);
    await c.fails({ ...sa, ...t, valid: SetattrMask.MODE, size: 0n }, Errno.EOPNOTSUPP);
    // lcreate over the link with O_NOFOLLOW must not write through it.
    await c.fails(
      { kind: 'lcreate', fid: 0, name: utf8('secret-link'), flags: O_RDWR, mode: 0o644, gid: 0 },
      Errno.ELOOP,
    );
    assert.equal(fs.readFileSync(path.join(base, 'outside', 'secret.txt'), 'utf8'), 'SECRET');
    assert.notEqual(fs.statSync(path.join(base, 'outside', 'secret.txt')).mode & 0o777, 0o777);
  });

  test('statfs on a symlink fid reports the export, a FIFO is never opened', async (t) => {
    const c = await mounted();
    await c.walk(0, 1, 'etc-link');
    const s = await c.ok({ kind: 'statfs', fid: 1 });
    assert.ok(s.blocks > 0n);
    const fifo = path.join(root, 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      t.skip('no mkfifo on this host');
      return;
    }
    await c.walk(0, 2, 'fifo');
    // Opening a FIFO would block the server until a host writer showed up.
    await c.fails({ kind: 'lopen', fid: 2, flags: O_RDONLY }, Errno.EOPNOTSUPP);
    fs.rmSync(fifo);
  });

  test('names with "/", NUL, "", "." or ".." are refused where they make entries', async () => {
    const c = await mounted();
    await c.fails({ kind: 'walk', fid: 0, newfid: 1, names: [utf8('../outside')] }, Errno.EINVAL);
    await c.fails({ kind: 'walk', fid: 0, newfid: 1, names: [utf8('sub/..')] }, Errno.EINVAL);
    await c.fails({ kind: 'walk', fid: 0, newfid: 1, names: [utf8('')] }, Errno.EINVAL);
    await c.fails(
      { kind: 'walk', fid: 0, newfid: 1, names: Array<Uint8Array>(17).fill(utf8('.')) },
      Errno.EINVAL,
    );
    for (const name of ['../escape', 'a/b', 'nul\0', '', '.', '..'])
      await c.fails(
        { kind: 'mkdir', dfid: 0, name: utf8(name), mode: 0o755, gid: 0 },
        Errno.EINVAL,
      );
    await c.fails(
      { kind: 'mkdir', dfid: 0, name: utf8('x'.repeat(256)), mode: 0o755, gid: 0 },
      Errno.ENAMETOOLONG,
    );
    await c.fails(
      { kind: 'symlink', fid: 0, name: utf8('../evil'), target: utf8('/'), gid: 0 },
      Errno.EINVAL,
    );
    await c.fails(
      {
        kind: 'renameat',
        olddirfid: 0,
        oldname: utf8('hello.txt'),
        newdirfid: 0,
        newname: utf8('../x'),
      },
      Errno.EINVAL,
    );
    await c.fails(
      { kind: 'unlinkat', dirfid: 0, name: utf8('../outside/secret.txt'), flags: 0 },
      Errno.EINVAL,
    );
    assert.ok(!fs.existsSync(path.join(base, 'escape')) && !fs.existsSync(path.join(base, 'evil')));
    assert.ok(fs.existsSync(path.join(base, 'outside', 'secret.txt')));
  });
});

describe('9P server locks (Tlock/Tgetlock)', () => {
  before(setupTree);
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  const { SUCCESS, BLOCKED, ERROR } = LockStatus;
  const { RDLCK, WRLCK, UNLCK } = LockType;

  /** A mount with `name` walked to fid 1 and opened (read-only, as a lock needs no more). */
  async function opened(
    name: string,
    opts: { readOnly?: boolean; maxLocks?: number } = {},
  ): Promise<Client> {
    const c = new Client(
      new NinePServer({ root, readOnly: opts.readOnly ?? false, maxMsize: MSIZE, ...opts }),
    );
    await c.mount();
    await c.walk(0, 1, name);
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    return c;
  }

  async function lock(
    c: Client,
    lockType: number,
    start: number,
    length: number,
    procId = 10,
    clientId = utf8('guest'),
  ): Promise<number> {
    const r = await c.ok({
      kind: 'lock',
      fid: 1,
      lockType,
      flags: 0,
      start: BigInt(start),
      length: BigInt(length),
      procId,
      clientId,
    });
    return r.status;
  }

  function getlock(c: Client, start: number, length: number): Promise<ReplyOf<'getlock'>> {
    // Linux's v9fs always asks with type UNLCK (see src/core/ninep/locks.ts).
    const q = { fid: 1, lockType: UNLCK, start: BigInt(start), length: BigInt(length) };
    return c.ok({ kind: 'getlock', ...q, procId: 20, clientId: utf8('guest') });
  }

  test('two servers on one directory: write conflicts, read sharing, getlock, unlock', async () => {
    fs.writeFileSync(path.join(root, 'locked'), 'x');
    const a = await opened('locked');
    const b = await opened('locked');
    // The same proc_id and client_id on another connection is another owner.
    assert.equal(await lock(a, WRLCK, 0, 100), SUCCESS);
    assert.equal(await lock(b, WRLCK, 50, 10), BLOCKED);
    assert.equal(await lock(b, RDLCK, 0, 0), BLOCKED);
    assert.equal(await lock(b, WRLCK, 200, 100), SUCCESS);
    assert.deepEqual(await getlock(b, 0, 0), {
      kind: 'getlock',
      lockType: WRLCK,
      start: 0n,
      length: 100n,
      procId: 10,
      clientId: utf8('guest'),
    });
    // Free range: the query comes back as UNLCK.
    assert.deepEqual(await getlock(b, 100, 100), {
      kind: 'getlock',
      lockType: UNLCK,
      start: 100n,
      length: 100n,
      procId: 20,
      clientId: utf8('guest'),
    });
    assert.equal(await lock(a, UNLCK, 0, 0), SUCCESS);
    assert.equal(await lock(b, WRLCK, 50, 10), SUCCESS);
    assert.equal(await lock(b, UNLCK, 0, 0), SUCCESS);
    assert.equal(await lock(a, RDLCK, 0, 0), SUCCESS);
    assert.equal(await lock(b, RDLCK, 0, 0), SUCCESS);
    assert.equal(await lock(b, WRLCK, 0, 0), BLOCKED);
    await a.server.close();
    await b.server.close();
  });

  test('a hard link is the same file; other files are not', async () => {
    fs.writeFileSync(path.join(root, 'orig'), 'x');
    fs.linkSync(path.join(root, 'orig'), path.join(root, 'alias'));
    fs.writeFileSync(path.join(root, 'unrelated'), 'x');
    const a = await opened('orig');
    const b = await opened('alias');
    const c = await opened('unrelated');
    assert.equal(await lock(a, WRLCK, 0, 0), SUCCESS);
    assert.equal(await lock(b, WRLCK, 0, 1), BLOCKED);
    assert.equal(await lock(c, WRLCK, 0, 0), SUCCESS);
    for (const x of [a, b, c]) await x.server.close();
  });

  test("close() and Tversion release a connection's locks", async () => {
    fs.writeFileSync(path.join(root, 'released'), 'x');
    const a = await opened('released');
    const b = await opened('released');
    assert.equal(await lock(a, WRLCK, 0, 0, 1), SUCCESS);
    assert.equal(await lock(a, RDLCK, 0, 0, 2), BLOCKED); // another process of a's guest
    await a.server.close();
    assert.equal(await lock(b, WRLCK, 0, 0), SUCCESS);
    // A new session (Tversion) on b forgets b's locks too.
    await b.mount();
    await b.walk(0, 1, 'released');
    await b.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    const c = await opened('released');
    assert.equal(await lock(c, WRLCK, 0, 0), SUCCESS);
    await b.server.close();
    await c.server.close();
  });

  test('a read-only export still locks, read and write', async () => {
    fs.writeFileSync(path.join(root, 'ro-locked'), 'x');
    const ro = await opened('ro-locked', { readOnly: true });
    const rw = await opened('ro-locked');
    assert.equal(await lock(ro, WRLCK, 0, 10), SUCCESS);
    assert.equal(await lock(rw, RDLCK, 5, 1), BLOCKED);
    assert.equal((await getlock(rw, 0, 0)).lockType, WRLCK);
    await ro.server.close();
    await rw.server.close();
  });

  test('locks on an unopened fid (a directory) and on a bad fid', async () => {
    const a = await mounted();
    const b = await mounted();
    const lk = { flags: 0, start: 0n, length: 0n, clientId: utf8('guest') } as const;
    await a.walk(0, 1, 'sub');
    await b.walk(0, 1, 'sub');
    assert.deepEqual(await a.rpc({ kind: 'lock', fid: 1, lockType: WRLCK, procId: 1, ...lk }), {
      kind: 'lock',
      status: SUCCESS,
    });
    assert.deepEqual(await b.rpc({ kind: 'lock', fid: 1, lockType: WRLCK, procId: 1, ...lk }), {
      kind: 'lock',
      status: BLOCKED,
    });
    await a.fails({ kind: 'lock', fid: 99, lockType: WRLCK, procId: 1, ...lk }, Errno.EBADF);
    await a.fails({ kind: 'getlock', fid: 99, lockType: UNLCK, procId: 1, ...lk }, Errno.EBADF);
    await a.server.close();
    await b.server.close();
  });

  test('beyond maxLocks records, ERROR (ENOLCK in the guest)', async () => {
    fs.writeFileSync(path.join(root, 'many'), 'x');
    const a = await opened('many', { maxLocks: 2 });
    assert.equal(await lock(a, WRLCK, 0, 1), SUCCESS);
    assert.equal(await lock(a, WRLCK, 10, 1), SUCCESS);
    assert.equal(await lock(a, WRLCK, 20, 1), ERROR);
    assert.equal(await lock(a, WRLCK, 1, 9), SUCCESS); // joins the two: one record
    assert.equal(await lock(a, WRLCK, 20, 1), SUCCESS);
    await a.server.close();
  });
});

describe('9P server robustness', () => {
  before(setupTree);
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  test('frames without a usable header give null; bad bodies give Rlerror', async () => {
    const server = new NinePServer({ root, readOnly: false, maxMsize: MSIZE });
    assert.equal(await server.handle(new Uint8Array([1, 2, 3])), null);
    const clunk = encodeRequest({ kind: 'clunk', tag: 5, fid: 0 });
    const lying = clunk.slice();
    new DataView(lying.buffer).setUint32(0, 4096, true); // size larger than the data
    assert.equal(await server.handle(lying), null);
    const huge = new NinePWriter()
      .u32(MSIZE + 1)
      .u8(MsgType.Tclunk)
      .u16(1)
      .u32(0);
    assert.equal(await server.handle(huge.finish().slice(0, 11)), null);
    const big = new Uint8Array(MSIZE + 8);
    new DataView(big.buffer).setUint32(0, big.length, true);
    big[4] = MsgType.Twrite;
    assert.equal(await server.handle(big), null, 'bigger than msize');
    // Truncated body, correctly framed: Rlerror EPROTO with the tag.
    const short = new NinePWriter().u32(9).u8(MsgType.Tclunk).u16(6).u16(0).finish();
    const r = await server.handle(short);
    assert.ok(r);
    assert.deepEqual(decodeReply(r, MSIZE), {
      tag: 6,
      reply: { kind: 'lerror', ecode: Errno.EPROTO },
    });
    const unknown = new NinePWriter().u32(7).u8(250).u16(8).finish();
    const u = await server.handle(unknown);
    assert.ok(u);
    assert.deepEqual(decodeReply(u, MSIZE), {
      tag: 8,
      reply: { kind: 'lerror', ecode: Errno.ENOSYS },
    });
    // Operations on fids never attached.
    const c = new Client(server);
    await c.fails({ kind: 'getattr', fid: 99, requestMask: 1n }, Errno.EBADF);
  });

  test('thousands of random frames: never throws, then still serves a client', async () => {
    const server = new NinePServer({ root, readOnly: false, maxMsize: MSIZE });
    const rand = prng(0x9e3779b9);
    const types = Object.values(MsgType);
    let nulls = 0;
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 64);
      const frame = new Uint8Array(len);
      for (let j = 0; j < len; j++) frame[j] = Math.floor(rand() * 256);
      // Most frames get a valid size and a known type so the body decoders run.
      if (len >= 7 && rand() < 0.8) {
        new DataView(frame.buffer).setUint32(0, len, true);
        frame[4] = types[Math.floor(rand() * types.length)] ?? 0;
        if (rand() < 0.5) frame.fill(0, 7, 11); // fid 0, which may be attached
      }
      const r = await server.handle(frame);
      if (r === null) nulls++;
      else if (decodeReply(r, MSIZE).reply.kind === 'lerror') errors++;
      // Attach now and then so random operations reach real files.
      if (i % 500 === 0)
        await server.handle(
          encodeRequest({
            kind: 'attach',
            tag: 1,
            fid: 0,
            afid: NOFID,
            uname: '',
            aname: utf8(''),
            nUname: 0,
          }),
        );
    }
    assert.ok(nulls > 0 && errors > 0);
    // Nothing outside the export was touched.
    assert.equal(fs.readFileSync(path.join(base, 'outside', 'secret.txt'), 'utf8'), 'SECRET');
    const c = new Client(server);
    await c.mount();
    await c.walk(0, 1, 'hello.txt');
    await c.ok({ kind: 'lopen', fid: 1, flags: O_RDONLY });
    assert.equal(await c.readAll(1), 'hello world\n');
    await server.close();
  });
});
