import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachedDir, cachedFile, hashInputs } from '../../tools/build/cache.js';
import { cacheRoot } from '../../tools/build/paths.js';

let work: string;
let savedXdg: string | undefined;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'wasmlinux-cache-test-'));
  // cacheRoot() reads XDG_CACHE_HOME on every call, so this redirects the cache.
  savedXdg = process.env['XDG_CACHE_HOME'];
  process.env['XDG_CACHE_HOME'] = join(work, 'xdg');
});

after(() => {
  if (savedXdg === undefined) delete process.env['XDG_CACHE_HOME'];
  else process.env['XDG_CACHE_HOME'] = savedXdg;
  rmSync(work, { recursive: true, force: true });
});

describe('hashInputs', () => {
  test('is a 16-char hex string and stable for equal inputs', () => {
    const a = hashInputs(['x', 'y']);
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(hashInputs(['x', 'y']), a);
    assert.notEqual(hashInputs(['xy']), a, 'field boundaries matter');
    assert.notEqual(hashInputs(['y', 'x']), a, 'order matters');
  });

  test('changes when a file changes and not otherwise', () => {
    const f = join(work, 'input.txt');
    writeFileSync(f, 'one');
    const h1 = hashInputs([{ file: f }]);
    writeFileSync(f, 'one'); // rewritten, same content: mtime must not matter
    assert.equal(hashInputs([{ file: f }]), h1);
    writeFileSync(f, 'two');
    assert.notEqual(hashInputs([{ file: f }]), h1);
  });

  test('walks directories including relative paths', () => {
    const d = join(work, 'tree');
    mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, 'a.txt'), 'A');
    writeFileSync(join(d, 'sub', 'b.txt'), 'B');
    const h1 = hashInputs([{ dir: d }]);
    assert.equal(hashInputs([{ dir: d }]), h1);

    writeFileSync(join(d, 'sub', 'b.txt'), 'B2');
    const h2 = hashInputs([{ dir: d }]);
    assert.notEqual(h2, h1, 'content change in a subdir');

    rmSync(join(d, 'sub', 'b.txt'));
    writeFileSync(join(d, 'b.txt'), 'B2');
    assert.notEqual(hashInputs([{ dir: d }]), h2, 'same content moved to another dir');

    writeFileSync(join(d, 'new.txt'), '');
    assert.notEqual(hashInputs([{ dir: d }]), h2, 'added empty file');
  });

  test('treats a missing file or dir as an input, without throwing', () => {
    const missing = join(work, 'does-not-exist');
    assert.equal(hashInputs([{ dir: missing }]), hashInputs([{ dir: missing }]));
    assert.notEqual(hashInputs([{ dir: missing }]), hashInputs([{ file: missing }]));
    const empty = join(work, 'empty-dir');
    mkdirSync(empty);
    assert.notEqual(hashInputs([{ dir: empty }]), hashInputs([{ dir: missing }]));
  });
});

describe('cachedDir', () => {
  test('builds once and returns the cached dir the second time', async () => {
    let builds = 0;
    const build = async (tmp: string): Promise<void> => {
      builds++;
      writeFileSync(join(tmp, 'out.txt'), 'built');
    };
    const first = await cachedDir('t-once', 'k1', build);
    assert.equal(first, join(cacheRoot(), 't-once', 'k1'));
    assert.equal(readFileSync(join(first, 'out.txt'), 'utf8'), 'built');
    assert.ok(existsSync(join(first, '.complete')));

    const second = await cachedDir('t-once', 'k1', build);
    assert.equal(second, first);
    assert.equal(builds, 1);

    await cachedDir('t-once', 'k2', build);
    assert.equal(builds, 2, 'a different key is a different entry');
  });

  test('a failed build leaves no completed dir and no temp dirs', async () => {
    await assert.rejects(
      cachedDir('t-fail', 'k', async (tmp) => {
        writeFileSync(join(tmp, 'partial.txt'), 'half');
        throw new Error('boom');
      }),
      /boom/,
    );
    const parent = join(cacheRoot(), 't-fail');
    assert.equal(existsSync(join(parent, 'k')), false);
    assert.deepEqual(readdirSync(parent), []);

    // The next attempt builds from scratch and succeeds.
    const dir = await cachedDir('t-fail', 'k', async (tmp) => {
      writeFileSync(join(tmp, 'ok.txt'), 'ok');
    });
    assert.deepEqual(readdirSync(dir).sort(), ['.complete', 'ok.txt']);
  });

  test('replaces an unstamped leftover and removes temp dirs of dead processes', async () => {
    const parent = join(cacheRoot(), 't-stale');
    mkdirSync(join(parent, 'k'), { recursive: true });
    writeFileSync(join(parent, 'k', 'garbage.txt'), 'x');
    // pid 2^22+1 is above Linux's maximum pid, so it is never alive.
    mkdirSync(join(parent, '.tmp-k-4194305-0'));
    const dir = await cachedDir('t-stale', 'k', async (tmp) => {
      writeFileSync(join(tmp, 'fresh.txt'), 'y');
    });
    assert.deepEqual(readdirSync(dir).sort(), ['.complete', 'fresh.txt']);
    assert.deepEqual(readdirSync(parent), ['k']);
  });
});

describe('cachedFile', () => {
  test('builds once, and not at all after a failure', async () => {
    let builds = 0;
    const path = await cachedFile(
      't-file',
      'k',
      async (tmp) => {
        builds++;
        writeFileSync(tmp, 'data');
      },
      '.bin',
    );
    assert.equal(path, join(cacheRoot(), 't-file', 'k.bin'));
    assert.equal(readFileSync(path, 'utf8'), 'data');
    await cachedFile('t-file', 'k', async () => void builds++, '.bin');
    assert.equal(builds, 1);

    await assert.rejects(
      cachedFile('t-file', 'bad', async (tmp) => {
        writeFileSync(tmp, 'partial');
        throw new Error('nope');
      }),
      /nope/,
    );
    assert.deepEqual(readdirSync(join(cacheRoot(), 't-file')), ['k.bin']);
  });
});
