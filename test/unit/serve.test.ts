// The web page's server (src/node/serve.ts): isolation headers, wasm's MIME
// type, gzip copies, 304s, and nothing outside its directory.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { serve } from '../../src/node/serve.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let dir = '';
let server: { url: string; close: () => void };
let plain: { url: string; close: () => void };

describe('serve', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-serve-'));
    writeFileSync(join(dir, 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'k.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    writeFileSync(join(dir, 'big.js'), 'x'.repeat(10_000));
    writeFileSync(join(dir, 'big.js.gz'), gzipSync('x'.repeat(10_000)));
    writeFileSync(join(tmpdir(), 'wasmlinux-serve-secret'), 'secret');
    server = await serve({ dir, port: 0, host: '127.0.0.1', isolation: true });
    plain = await serve({ dir, port: 0, host: '127.0.0.1', isolation: false });
  });
  after(() => {
    server.close();
    plain.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'wasmlinux-serve-secret'), { force: true });
  });

  test('the page, with the cross-origin isolation headers', async () => {
    const r = await get(server.url, '/');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), '<p>page</p>');
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin');
  });

  test('--no-isolation leaves them out', async () => {
    const r = await get(plain.url, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['cross-origin-opener-policy'], undefined);
  });

  test('wasm as application/wasm; the gzip copy only for who takes gzip', async () => {
    assert.equal((await get(server.url, '/k.wasm')).headers['content-type'], 'application/wasm');
    const gz = await get(server.url, '/big.js', { 'Accept-Encoding': 'gzip, br' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gz.body.length < 1000);
    const raw = await get(server.url, '/big.js');
    assert.equal(raw.headers['content-encoding'], undefined);
    assert.equal(raw.body.length, 10_000);
  });

  test('304 when the browser has it already', async () => {
    const first = await get(server.url, '/index.html');
    const again = await get(server.url, '/index.html', {
      'If-Modified-Since': String(first.headers['last-modified']),
    });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  test('nothing outside the directory; missing files 404', async () => {
    for (const path of [
      '/../wasmlinux-serve-secret',
      '/%2e%2e/wasmlinux-serve-secret',
      '/..%2fwasmlinux-serve-secret',
      '/%2e%2e%2fwasmlinux-serve-secret',
    ]) {
      const r = await get(server.url, path);
      assert.notEqual(r.status, 200, path);
      assert.notEqual(r.body.toString(), 'secret', path);
    }
    // Escapes that survive URL parsing are refused outright.
    assert.equal((await get(server.url, '/..%2fwasmlinux-serve-secret')).status, 403);
    assert.equal((await get(server.url, '/nope')).status, 404);
  });
});
