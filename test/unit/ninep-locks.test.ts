// The byte-range lock table behind the 9P server's Tlock/Tgetlock
// (src/core/ninep/locks.ts): POSIX merge/split/replace for one owner, read
// sharing and write conflicts between owners, "length 0 = to the end",
// release when a session closes, and the per-session record cap.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockStatus, LockType } from '../../src/core/ninep/codec.js';
import { LockTable, type LockRequest, type LockSession } from '../../src/core/ninep/locks.js';

const { RDLCK, WRLCK, UNLCK } = LockType;
const { SUCCESS, BLOCKED, ERROR } = LockStatus;
const FILE = '1:100';
const TO_END = 0n;
const GUEST = new TextEncoder().encode('guest');

function req(lockType: number, start: number, length: number | bigint, procId = 1): LockRequest {
  return { lockType, start: BigInt(start), length: BigInt(length), procId, clientId: GUEST };
}

/** What another owner's F_GETLK(type) over [start, start+length) reports, as a tuple. */
function probe(
  s: LockSession,
  start: number,
  length: number | bigint,
  type: number = WRLCK,
): [number, bigint, bigint, number] | null {
  const h = s.test(FILE, req(type, start, length, 999));
  return h === null ? null : [h.lockType, h.start, h.length, h.procId];
}

describe('9P lock table', () => {
  test('a write lock blocks other owners over overlapping ranges only', () => {
    const t = new LockTable();
    const a = t.session();
    const b = t.session();
    assert.equal(a.lock(FILE, req(WRLCK, 0, 100)), SUCCESS);
    assert.equal(b.lock(FILE, req(WRLCK, 50, 100)), BLOCKED);
    assert.equal(b.lock(FILE, req(RDLCK, 99, 1)), BLOCKED);
    assert.equal(b.lock(FILE, req(WRLCK, 100, 50)), SUCCESS); // [100, 150) touches, does not overlap
    assert.equal(b.lock(FILE, req(WRLCK, 200, 100)), SUCCESS);
    // The same proc_id in another session (another mount or guest) is another owner.
    assert.equal(b.lock(FILE, req(WRLCK, 0, 1, 1)), BLOCKED);
    // Within a session, another proc_id or client_id is another owner too.
    assert.equal(a.lock(FILE, req(WRLCK, 0, 1, 2)), BLOCKED);
    assert.equal(
      a.lock(FILE, {
        lockType: WRLCK,
        start: 0n,
        length: 1n,
        procId: 1,
        clientId: new TextEncoder().encode('other'),
      }),
      BLOCKED,
    );
    // Other files are unaffected.
    assert.equal(b.lock('1:101', req(WRLCK, 0, 100)), SUCCESS);
  });

  test('read locks of different owners share; a write lock then waits for all of them', () => {
    const t = new LockTable();
    const a = t.session();
    const b = t.session();
    assert.equal(a.lock(FILE, req(RDLCK, 0, 100)), SUCCESS);
    assert.equal(b.lock(FILE, req(RDLCK, 50, 100)), SUCCESS);
    assert.equal(a.lock(FILE, req(WRLCK, 0, 60)), BLOCKED); // b reads [50, 150)
    assert.equal(a.lock(FILE, req(WRLCK, 0, 50)), SUCCESS); // upgrade where only a reads
    assert.equal(b.lock(FILE, req(UNLCK, 0, TO_END)), SUCCESS);
    assert.equal(a.lock(FILE, req(WRLCK, 0, 100)), SUCCESS);
    assert.deepEqual(probe(b, 0, TO_END), [WRLCK, 0n, 100n, 1]);
  });

  test('one owner: locks merge, a new type replaces the old over its range, unlock splits', () => {
    const t = new LockTable();
    const a = t.session();
    const other = t.session();
    assert.equal(a.lock(FILE, req(WRLCK, 0, 10)), SUCCESS);
    assert.equal(a.lock(FILE, req(WRLCK, 10, 10)), SUCCESS); // touching: one range
    assert.equal(a.lock(FILE, req(WRLCK, 5, 10)), SUCCESS); // inside: still one
    assert.equal(a.recordCount, 1);
    assert.deepEqual(probe(other, 0, TO_END), [WRLCK, 0n, 20n, 1]);

    // A read lock in the middle of the write lock: write, read, write.
    assert.equal(a.lock(FILE, req(RDLCK, 5, 5)), SUCCESS);
    assert.equal(a.recordCount, 3);
    assert.deepEqual(probe(other, 5, 5, RDLCK), null); // readers share the middle
    assert.deepEqual(probe(other, 5, 5), [RDLCK, 5n, 5n, 1]);
    assert.deepEqual(probe(other, 10, 1), [WRLCK, 10n, 10n, 1]);

    // Back to write over all of it: one range again.
    assert.equal(a.lock(FILE, req(WRLCK, 0, 20)), SUCCESS);
    assert.equal(a.recordCount, 1);

    // Unlock a hole: two ranges, the hole free for others.
    assert.equal(a.lock(FILE, req(UNLCK, 8, 4)), SUCCESS);
    assert.equal(a.recordCount, 2);
    assert.equal(other.lock(FILE, req(WRLCK, 8, 4, 5)), SUCCESS);
    assert.equal(other.lock(FILE, req(UNLCK, 8, 4, 5)), SUCCESS);
    assert.deepEqual(probe(other, 0, TO_END), [WRLCK, 0n, 8n, 1]);
    assert.deepEqual(probe(other, 8, TO_END), [WRLCK, 12n, 8n, 1]);

    // Unlocking what is not locked is fine and changes nothing.
    assert.equal(a.lock(FILE, req(UNLCK, 100, 5)), SUCCESS);
    assert.equal(a.recordCount, 2);
    assert.equal(a.lock(FILE, req(UNLCK, 0, TO_END)), SUCCESS);
    assert.equal(a.recordCount, 0);
    assert.equal(t.fileCount, 0, 'an empty file entry is removed');
  });

  test('length 0 reaches to the end, however far', () => {
    const t = new LockTable();
    const a = t.session();
    const b = t.session();
    const c = t.session();
    assert.equal(a.lock(FILE, req(WRLCK, 1000, TO_END)), SUCCESS);
    assert.equal(b.lock(FILE, req(WRLCK, 0, 1000)), SUCCESS);
    assert.equal(b.lock(FILE, req(RDLCK, Number.MAX_SAFE_INTEGER, 1)), BLOCKED);
    assert.equal(b.lock(FILE, { ...req(RDLCK, 0, 1), start: (1n << 64n) - 1n }), BLOCKED);
    assert.deepEqual(probe(c, 5000, 1), [WRLCK, 1000n, 0n, 1]);
    // A range running past the last offset is cut there, and so is "to the end".
    assert.equal(a.lock(FILE, { ...req(UNLCK, 0, 0), start: 2000n, length: 1n << 64n }), SUCCESS);
    assert.deepEqual(probe(c, 5000, 1), null);
    assert.deepEqual(probe(c, 1000, TO_END), [WRLCK, 1000n, 1000n, 1]);
  });

  test('Tgetlock: other owners only, lowest conflicting range, UNLCK asks like F_WRLCK', () => {
    const t = new LockTable();
    const a = t.session();
    const b = t.session();
    assert.equal(a.lock(FILE, req(RDLCK, 50, 10, 7)), SUCCESS);
    assert.equal(a.lock(FILE, req(WRLCK, 10, 10, 8)), SUCCESS);
    assert.equal(a.test(FILE, req(WRLCK, 0, TO_END, 8))?.start, 50n); // not its own lock
    const h = b.test(FILE, req(UNLCK, 0, TO_END));
    assert.deepEqual(h, { lockType: WRLCK, start: 10n, length: 10n, procId: 8, clientId: GUEST });
    assert.deepEqual(b.test(FILE, req(UNLCK, 30, TO_END))?.lockType, RDLCK);
    assert.equal(b.test(FILE, req(RDLCK, 30, TO_END)), null);
    assert.equal(b.test('nope', req(WRLCK, 0, TO_END)), null);
  });

  test('releaseAll drops every lock of one session, on every file, and nothing else', () => {
    const t = new LockTable();
    const a = t.session();
    const b = t.session();
    assert.equal(a.lock('f1', req(WRLCK, 0, 10, 1)), SUCCESS);
    assert.equal(a.lock('f1', req(WRLCK, 20, 10, 2)), SUCCESS);
    assert.equal(a.lock('f2', req(RDLCK, 0, 0)), SUCCESS);
    assert.equal(b.lock('f2', req(RDLCK, 0, 0)), SUCCESS);
    assert.equal(t.fileCount, 2);
    a.releaseAll();
    assert.equal(a.recordCount, 0);
    assert.equal(t.fileCount, 1, 'f1 had only the released locks');
    assert.equal(b.lock('f1', req(WRLCK, 0, 0)), SUCCESS);
    assert.equal(b.lock('f2', req(WRLCK, 0, 0)), SUCCESS); // b's own read lock, upgraded
    b.releaseAll();
    assert.equal(t.fileCount, 0);
  });

  test('a session holds at most maxRecords records: beyond, ERROR and nothing changes', () => {
    const t = new LockTable();
    const a = t.session(3);
    const b = t.session(3);
    for (let i = 0; i < 3; i++) assert.equal(a.lock(FILE, req(WRLCK, i * 10, 5)), SUCCESS);
    assert.equal(a.lock(FILE, req(WRLCK, 100, 5)), ERROR);
    assert.equal(a.lock(FILE, req(WRLCK, 5, 5)), SUCCESS, 'merging needs no new record');
    assert.equal(a.recordCount, 2);
    assert.equal(a.lock(FILE, req(WRLCK, 100, 5)), SUCCESS);
    // Punching a hole would make a fourth record: refused, the lock stays whole.
    assert.equal(a.lock(FILE, req(UNLCK, 1, 1)), ERROR);
    assert.equal(b.lock(FILE, req(WRLCK, 1, 1)), BLOCKED);
    // The cap is per session: b is not limited by a's records.
    for (let i = 0; i < 3; i++) assert.equal(b.lock(FILE, req(WRLCK, 1000 + i * 10, 5)), SUCCESS);
    assert.equal(b.lock(FILE, req(WRLCK, 2000, 5)), ERROR);
    assert.equal(a.lock(FILE, req(UNLCK, 0, TO_END)), SUCCESS);
    assert.equal(a.recordCount, 0);
  });

  test('a bad lock type or an overlong client_id is an ERROR', () => {
    const t = new LockTable();
    assert.equal(t.session().lock(FILE, req(3, 0, 0)), ERROR);
    const long = { ...req(WRLCK, 0, 0), clientId: new Uint8Array(1000).fill(0x78) };
    assert.equal(t.session().lock(FILE, long), ERROR);
    assert.equal(t.fileCount, 0);
  });
});
