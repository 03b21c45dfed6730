// A tree kept in a journal (src/core/ninep/tree-journal.ts): random
// operations on a journaled tree, then the tree read back from its files
// must be the same — also across compactions — and a log cut at any byte
// must read back as the tree after some whole number of operations.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  nameOf,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  type NinePBackend,
} from '../../src/core/ninep/backend.js';
import { Errno } from '../../src/core/errno.js';
import { MemoryBlobs } from '../../src/core/ninep/memory-backend.js';
import {
  TreeJournal,
  type JournalFiles,
  type SyncFile,
} from '../../src/core/ninep/tree-journal.js';
import { seededRandom as random } from '../helpers/random.js';

/** A SyncFile in memory, whose bytes a test can cut. */
class MemoryFile implements SyncFile {
  bytes = new Uint8Array(0);
  /** Called after each write (a test's look at the state each line leaves). */
  onWrite: (() => void) | null = null;
  read(buf: Uint8Array, at: number): number {
    const part = this.bytes.subarray(at, at + buf.length);
    buf.set(part);
    return part.length;
  }
  write(data: Uint8Array, at: number): number {
    if (at + data.length > this.bytes.length) {
      const grown = new Uint8Array(at + data.length);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(data, at);
    this.onWrite?.();
    return data.length;
  }
  truncate(size: number): void {
    const t = new Uint8Array(size);
    t.set(this.bytes.subarray(0, size));
    this.bytes = t;
  }
  getSize(): number {
    return this.bytes.length;
  }
  flush(): void {}
  copy(): MemoryFile {
    const c = new MemoryFile();
    c.bytes = this.bytes.slice();
    return c;
  }
}

function files(): JournalFiles & { head: MemoryFile; logs: [MemoryFile, MemoryFile] } {
  return { head: new MemoryFile(), logs: [new MemoryFile(), new MemoryFile()] };
}

/** Everything a tree holds, as text: names, types, modes, links, sizes, times, targets, contents. */
function dump(b: NinePBackend, withData = true): string {
  const out: string[] = [];
  const visit = (path: Uint8Array[]): void => {
    for (const e of b.list(path).sort((x, y) => Buffer.compare(x.name, y.name))) {
      const p = [...path, e.name];
      const st = e.stat;
      let extra = '';
      if (!withData) extra = '';
      else if ((st.mode & S_IFMT) === S_IFREG) {
        const f = b.open(p, { access: 0, truncate: false, append: false });
        const buf = new Uint8Array(Number(st.size));
        f.read(buf, 0);
        f.close();
        extra = Buffer.from(buf).toString('hex');
      } else if ((st.mode & S_IFMT) !== S_IFDIR) extra = Buffer.from(b.readlink(p)).toString('hex');
      out.push(
        `${p.map((c) => Buffer.from(c).toString('latin1')).join('/')} ${st.mode.toString(8)} ${st.nlink} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs} ${st.ino} ${extra}`,
      );
      if ((st.mode & S_IFMT) === S_IFDIR) visit(p);
    }
  };
  visit([]);
  return out.join('\n');
}

/** Random operations on a tree (errors are answers too: they are ignored). */
function churn(b: NinePBackend, seed: number, steps: number, each?: () => void): void {
  const rnd = random(seed);
  const names = ['a', 'b', 'c', 'd\xff'].map((n) => Uint8Array.from(Buffer.from(n, 'latin1')));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const path = (): Uint8Array[] =>
    Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(names));
  for (let i = 0; i < steps; i++) {
    const p = path();
    const q = path();
    const n = Math.floor(rnd() * 9);
    const data = Uint8Array.from({ length: 1 + Math.floor(rnd() * 40) }, () =>
      Math.floor(rnd() * 256),
    );
    try {
      if (n === 0) b.mkdir(p, 0o750);
      else if (n === 1) {
        const f = b.create(p, { access: 2, truncate: false, append: false }, 0o640, false);
        f.write(data, Math.floor(rnd() * 20));
        f.close();
      } else if (n === 2) b.unlink(p);
      else if (n === 3) b.rmdir(p);
      else if (n === 4) b.rename(p, q);
      else if (n === 5) b.link(p, q);
      else if (n === 6)
        b.symlink(
          p,
          data.filter((x) => x !== 0),
        );
      else if (n === 7) b.chmod(p, 0o600 + Math.floor(rnd() * 64));
      else b.utimes(p, BigInt(i) * 1_000_000_000n, BigInt(i) * 2_000_000_000n + 7n);
    } catch {
      // an errno: nothing changed
    }
    each?.();
  }
}

/** A MemoryFile whose growth comes out of a quota shared with others (the browser's is per origin). */
class QuotaFile extends MemoryFile {
  constructor(private readonly quota: { left: number }) {
    super();
  }
  private take(size: number): void {
    const grow = size - this.bytes.length;
    if (grow > this.quota.left) throw new Error('QuotaExceededError');
    this.quota.left -= grow;
  }
  override write(data: Uint8Array, at: number): number {
    this.take(Math.max(this.bytes.length, at + data.length));
    return super.write(data, at);
  }
  override truncate(size: number): void {
    this.take(size);
    super.truncate(size);
  }
}

/** The store as the 9P engine uses it: writable() asked before each change. */
function asEngineUses(store: NinePBackend): NinePBackend {
  const changes = new Set(['create', 'mkdir', 'symlink', 'link', 'unlink', 'rmdir', 'rename']);
  return new Proxy(store, {
    get(target, key, receiver): unknown {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        if (typeof key === 'string' && (changes.has(key) || key === 'chmod' || key === 'utimes'))
          target.writable?.();
        return fn.apply(target, args);
      };
    },
  });
}

describe('a tree kept in a journal', () => {
  test('out of space, a change fails before it is made, and the log keeps what the tree shows', () => {
    const quota = { left: 100_000 };
    const f: { head: QuotaFile; logs: [QuotaFile, QuotaFile] } = {
      head: new QuotaFile(quota),
      logs: [new QuotaFile(quota), new QuotaFile(quota)],
    };
    const blobs = new MemoryBlobs(1 << 24);
    const j = new TreeJournal(f, { blobs, reserveBytes: 16384 });
    const store = asEngineUses(j.store);
    let refused = 0;
    let made = 0;
    let before = dump(j.store, false);
    const rnd = random(5);
    for (let i = 0; i < 3000; i++) {
      const name = [nameOf(`d${Math.floor(rnd() * 400)}`)];
      try {
        if (rnd() < 0.6) store.mkdir(name, 0o755);
        else store.rmdir(name);
        made++;
      } catch (err) {
        const errno = (err as { errno?: number }).errno;
        if (errno === Errno.ENOSPC) {
          refused++;
          assert.equal(dump(j.store, false), before, 'a refused change changed nothing');
        }
      }
      before = dump(j.store, false);
    }
    assert.ok(refused > 0 && made > 100, `${made} made, ${refused} refused`);
    const files = { head: f.head.copy(), logs: [f.logs[0].copy(), f.logs[1].copy()] } as const;
    assert.equal(dump(new TreeJournal(files, { blobs }).store, false), dump(j.store, false));
    // Space again: changes are kept again.
    quota.left += 1 << 20;
    store.mkdir([nameOf('after')], 0o755);
    const again = { head: f.head.copy(), logs: [f.logs[0].copy(), f.logs[1].copy()] } as const;
    assert.match(dump(new TreeJournal(again, { blobs }).store, false), /^after /m);
  });

  for (const compactBytes of [1 << 20, 2048]) {
    test(`reads back the same tree (compacting past ${compactBytes} bytes)`, () => {
      for (const seed of [1, 2, 3, 4]) {
        const f = files();
        const blobs = new MemoryBlobs(1 << 24);
        const j = new TreeJournal(f, { blobs, compactBytes });
        churn(j.store, seed, 500);
        const before = dump(j.store);
        assert.ok(before.split('\n').length > 5, 'the churn made something');
        const again = new TreeJournal(f, { blobs, compactBytes });
        assert.equal(dump(again.store), before, `seed ${seed}`);
        if (compactBytes < 4096) assert.ok(f.head.getSize() > 0, 'it compacted');
        // And it goes on from there: a new file gets a new inode number.
        const made = again.store.create(
          [nameOf('new')],
          { access: 1, truncate: false, append: false },
          0o644,
          true,
        );
        const ino = made.stat().ino;
        made.close();
        assert.ok(!before.split('\n').some((l) => l.split(' ')[6] === String(ino)));
      }
    });
  }

  test('a log cut at any byte reads back as the tree after some whole operation', () => {
    const f = files();
    const blobs = new MemoryBlobs(1 << 24);
    const j = new TreeJournal(f, { blobs, compactBytes: 1 << 30 });
    // Names and attributes only: blobs are shared by every reading here, and
    // the tree's own consistency is what is tested.
    // Each line is one operation of the store's (a create, a write, a close).
    const states = new Set<string>([dump(j.store, false)]);
    f.logs[0].onWrite = () => states.add(dump(j.store, false));
    churn(j.store, 9, 150);
    f.logs[0].onWrite = null;
    const whole = f.logs[0].bytes;
    for (let cut = 0; cut <= whole.length; cut += Math.max(1, Math.floor(whole.length / 300))) {
      const torn = { head: f.head.copy(), logs: [f.logs[0].copy(), f.logs[1].copy()] } as const;
      torn.logs[0].truncate(cut);
      const back = new TreeJournal(torn, { blobs, compactBytes: 1 << 30 });
      assert.ok(states.has(dump(back.store, false)), `cut at ${cut} of ${whole.length}`);
    }
  });
});
