// Advisory locks over 9P (Tlock/Tgetlock): one host directory mounted twice
// (/mnt/a, /mnt/b) and once read-only (/mnt/r). The guest kernel keeps a
// separate lock list per mount, so every conflict seen here between the
// parent on /mnt/a and its child on /mnt/b or /mnt/r was found by the host's
// server (src/core/ninep/locks.ts). test/guest/locks.c drives the steps.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  haveBuild,
  initramfsWithPrograms,
  mustMatch,
  runCli,
  type RunResult,
} from '../helpers/guest.js';

const EAGAIN = 11;
/** Linux's struct flock l_type values. */
const F_WRLCK = 1;
const F_UNLCK = 2;
const OK = 'ok';
const BLOCKED = `errno ${EAGAIN}`;

let top = '';
let result: RunResult;

/** The value after "label: " on the guest's line for label. */
function value(label: string): string {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return mustMatch(result, new RegExp(`^${escaped}: (.*?)\\r?$`, 'm'))[1]!;
}

/** An F_GETLK line: [l_type, l_start, l_len, l_pid]. */
function getlk(label: string): [number, number, number, number] {
  const m = /^type (-?\d+) start (-?\d+) len (-?\d+) pid (-?\d+)$/.exec(value(label));
  assert.ok(m, `${label}: ${value(label)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
}

function expectAll(expected: Record<string, string>): void {
  for (const [label, want] of Object.entries(expected)) assert.equal(value(label), want, label);
}

describe('9P locks across two mounts of one directory', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    top = mkdtempSync(join(tmpdir(), 'wasmlinux-9p-locks-'));
    const exported = join(top, 'export');
    mkdirSync(exported);
    const initrd = await initramfsWithPrograms(top, { '/bin/locks': 'locks.c' });
    result = await runCli(
      [
        '--quiet',
        '--initrd',
        initrd,
        '--mount',
        `${exported}:/mnt/a`,
        '--mount',
        `${exported}:/mnt/b`,
        '--mount',
        `${exported}:/mnt/r:ro`,
        '--',
        '/bin/locks',
      ],
      { timeoutMs: 120_000 },
    );
  });
  after(() => rmSync(top, { recursive: true, force: true }));

  it('runs every step, and the child exits cleanly', () => {
    assert.equal(result.timedOut, false);
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
    assert.equal(value('b exit'), '0');
    assert.match(result.stdout, /^done\r?$/m);
  });

  it('F_SETLK: a write lock blocks overlapping ranges of the other mount, not others', () => {
    expectAll({
      'a wrlck 0-99': OK,
      'b wrlck 50-149 while a holds 0-99': BLOCKED,
      'b rdlck 99-99 while a holds 0-99': BLOCKED,
      'b wrlck 200-299 while a holds 0-99': OK,
      'a wrlck 200-200 while b holds 200-299': BLOCKED,
      // The read-only mount takes locks too (a read lock on a read-only fd).
      'r rdlck 0-9 while a holds 0-99': BLOCKED,
      'a unlock 0-99': OK,
      'b wrlck 50-149 after a unlocked': OK,
      'b unlock all': OK,
    });
  });

  it("F_GETLK reports the other mount's lock, with the remote owner as a negative pid", () => {
    const aPid = Number(value('a pid'));
    assert.ok(aPid > 1);
    assert.deepEqual(getlk('b getlk 0-eof'), [F_WRLCK, 0, 100, -aPid]);
    // A free range comes back as F_UNLCK, the query itself.
    assert.deepEqual(getlk('b getlk 300-399').slice(0, 3), [F_UNLCK, 300, 100]);
  });

  it('read locks from both mounts share; a write lock waits for every reader', () => {
    expectAll({
      'a rdlck 0-eof': OK,
      'b rdlck 0-eof while a reads': OK,
      'r rdlck 0-eof while a reads': OK,
      'b wrlck 0-eof while a reads': BLOCKED,
      'a wrlck 0-eof while b and r read': BLOCKED,
      'b unlock after reading': OK,
      'r unlock after reading': OK,
      'a wrlck 0-eof after b and r unlocked': OK,
    });
  });

  it("close() releases the process's locks, even the close of another fd for the file", () => {
    expectAll({
      'b wrlck 0-eof probe 1': BLOCKED, // a holds the lock
      'b wrlck 0-eof probe 2': OK, // a closed its fd
      'a wrlck 0-eof again': OK,
      'b wrlck 0-eof probe 3': OK, // a closed a second fd, still holding the first
    });
  });

  it('flock() conflicts across mounts, as a whole-file lock that fcntl sees too', () => {
    expectAll({
      'a flock ex': OK,
      'b flock ex while a has flock ex': BLOCKED,
      'b flock sh while a has flock ex': BLOCKED,
      // v9fs sends flock() as a POSIX lock on the whole file, so unlike a
      // local filesystem it conflicts with fcntl locks of the other mount.
      'b rdlck 0-0 while a has flock ex': BLOCKED,
      'a flock un': OK,
      'b flock ex after a flock un': OK,
      'b flock un': OK,
      'a flock sh': OK,
      'b flock sh while a has flock sh': OK,
      'b flock ex while a has flock sh': BLOCKED,
      'b flock un after sh': OK,
      'a flock ex before close': OK,
      'b flock ex probe 4': BLOCKED,
      'b flock ex probe 5': OK, // a closed the fd
    });
    const aPid = Number(value('a pid'));
    assert.deepEqual(getlk('b getlk while a has flock ex'), [F_WRLCK, 0, 0, -aPid]);
  });
});
