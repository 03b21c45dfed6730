import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageCache } from '../../src/core/image-cache.js';

describe('ImageCache', () => {
  it('returns what was stored and evicts the least recently used', () => {
    const c = new ImageCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    assert.equal(c.get('a'), 1); // a is now the newest
    c.set('c', 3); // evicts b
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), 1);
    assert.equal(c.get('c'), 3);
    assert.equal(c.size, 2);
  });

  it('replacing a key does not grow the cache', () => {
    const c = new ImageCache<string>(2);
    c.set('x', 'old');
    c.set('x', 'new');
    assert.equal(c.size, 1);
    assert.equal(c.get('x'), 'new');
  });
});
