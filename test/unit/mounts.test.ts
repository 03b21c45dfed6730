// --mount and ?mount= specs: where the source ends and the guest path begins.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountsCmdline, parseMountSpec } from '../../src/core/mounts.js';

describe('mount specs', () => {
  it('splits directories and URLs at the last colon, with :ro and :rw', () => {
    assert.deepEqual(parseMountSpec('./data:/mnt/d', 0), {
      tag: 'host0',
      source: './data',
      guest: '/mnt/d',
      readOnly: false,
      cache: false,
      remote: false,
    });
    const ws = parseMountSpec('ws://h:5640/?token=a:b:/mnt/x:ro', 2);
    assert.equal(ws.source, 'ws://h:5640/?token=a:b');
    assert.equal(ws.guest, '/mnt/x');
    assert.equal(ws.readOnly, true);
    assert.equal(ws.remote, true);
    assert.equal(ws.tag, 'host2');
    assert.equal(parseMountSpec('d:/m:rw', 0).readOnly, false);
  });

  it('takes :cache, before or after :ro', () => {
    for (const text of ['d:/m:ro:cache', 'd:/m:cache:ro']) {
      const m = parseMountSpec(text, 0);
      assert.deepEqual([m.source, m.guest, m.readOnly, m.cache], ['d', '/m', true, true]);
    }
    assert.equal(parseMountSpec('ws://h/?token=t:/m:cache', 0).source, 'ws://h/?token=t');
    assert.equal(parseMountSpec('d:/m', 0).cache, false);
  });

  it('a bare URL takes the default guest path, when there is one', () => {
    for (const url of ['ws://h:5640/', 'ws://h:5640', 'wss://h/', 'ws://h/?token=t']) {
      const m = parseMountSpec(url, 0, '/mnt/net');
      assert.equal(m.source, url);
      assert.equal(m.guest, '/mnt/net');
    }
    assert.equal(parseMountSpec('ws://h:5640/:ro', 0, '/mnt/net').readOnly, true);
    assert.equal(parseMountSpec('ws://h:5640/:/mnt/y', 0, '/mnt/net').guest, '/mnt/y');
    assert.throws(() => parseMountSpec('ws://h:5640/', 0), /guest path must be absolute/);
  });

  it('refuses what is not a mount', () => {
    assert.throws(() => parseMountSpec('nodir', 0), /expected DIR:GUEST/);
    assert.throws(() => parseMountSpec('d:relative', 0), /absolute/);
    assert.throws(() => parseMountSpec('d:/mnt/../etc', 0), /absolute/);
    assert.throws(() => parseMountSpec('d:/mnt/a b', 0), /absolute/);
    assert.throws(() => parseMountSpec('ws://[:/mnt/x', 0), /is not a URL/);
  });

  it('tells init TAG:DIR[:ro][:cache] for each', () => {
    const ms = [
      parseMountSpec('a:/x', 0),
      parseMountSpec('ws://h/:/y:ro', 1),
      parseMountSpec('b:/z:cache', 2),
    ];
    assert.equal(mountsCmdline(ms), 'WASMLINUX_MOUNTS=host0:/x,host1:/y:ro,host2:/z:cache');
    assert.equal(mountsCmdline([]), '');
  });
});
