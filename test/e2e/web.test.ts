// The web page in Debian's headless Chromium (playwright-core): it boots to
// a prompt, runs commands, follows the window's size, and explains itself
// when the server does not make it cross-origin isolated.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { serveNineP } from '../../src/node/ninep/ws.js';
import { serve } from '../../src/node/serve.js';
import { serveNet } from '../../src/node/serve-net.js';
import { ROOT } from '../helpers/guest.js';
import { CHROMIUM, PROMPT, run, waitForScreen, WEB } from '../helpers/web.js';

const ARTIFACTS = join(ROOT, 'build/test-artifacts');

let browser: Browser;
let isolated: { url: string; close: () => void };
let plain: { url: string; close: () => void };

describe('web page (Chromium)', { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(existsSync(join(WEB, 'index.html')), 'dist/web missing: run npm run build');
    assert.ok(
      existsSync(CHROMIUM),
      'chromium missing: npm test installs it (apt-get install chromium)',
    );
    isolated = await serve({ dir: WEB, port: 0, host: '127.0.0.1', isolation: true });
    plain = await serve({ dir: WEB, port: 0, host: '127.0.0.1', isolation: false });
    // --no-sandbox: the tests run as root here.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    isolated?.close();
    plain?.close();
  });

  it('boots to a prompt; uname and a pipeline run; the window size reaches stty', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Note every text the status line shows while the page starts.
    await page.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { statusTexts: seen });
      document.addEventListener('DOMContentLoaded', () => {
        const el = document.getElementById('status');
        if (!el) return;
        new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
    });
    await page.goto(isolated.url);
    await waitForScreen(page, PROMPT);
    const statuses = await page.evaluate(
      () => (window as unknown as { statusTexts: string[] }).statusTexts,
    );
    assert.ok(
      statuses.some((t) => /^Downloading/.test(t)),
      statuses.join(' | '),
    );
    assert.ok(statuses.includes('Compiling the kernel…'), statuses.join(' | '));
    assert.ok(statuses.includes('Booting…'), statuses.join(' | '));
    assert.match(await run(page, 'uname -a'), /^Linux wasmlinux 6\.12\.\d+\S* .* wasm Linux$/m);
    // The prompt sets the window title: user@host and the directory.
    assert.equal(await page.title(), 'root@wasmlinux: ~');
    const expected = createHash('md5')
      .update(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''))
      .digest('hex');
    assert.equal((await run(page, 'seq 1 1000 | md5sum')).trim(), `${expected}  -`);
    // Pasting goes through xterm.js's paste (bracketed when the shell asks).
    await page.evaluate(() =>
      (
        window as unknown as { wasmlinuxTerminal: { paste(t: string): void } }
      ).wasmlinuxTerminal.paste('echo pasted-$((6*7))'),
    );
    assert.match(await run(page, ''), /^pasted-42$/m);
    const size = async (): Promise<string> =>
      page.evaluate(() => {
        const t = (window as unknown as { wasmlinuxTerminal: { rows: number; cols: number } })
          .wasmlinuxTerminal;
        return `${t.rows} ${t.cols}`;
      });
    const before = await size();
    assert.equal((await run(page, 'stty size')).trim(), before);
    await page.setViewportSize({ width: 700, height: 400 });
    await page.waitForTimeout(300);
    const after = await size();
    assert.notEqual(after, before);
    assert.equal((await run(page, 'stty size')).trim(), after);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-prompt.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('?cpus= sets the CPUs; without it, the browser cores (at most 8); a bad one is reported', async () => {
    const page = await browser.newPage();
    await page.goto(`${isolated.url}?cpus=3`);
    await waitForScreen(page, PROMPT);
    assert.equal((await run(page, 'nproc')).trim(), '3');
    await page.close();
    const bad = await browser.newPage();
    await bad.goto(`${isolated.url}?cpus=99`);
    const screen = await waitForScreen(bad, PROMPT);
    assert.match(screen, /\?cpus=99 is not a number of CPUs from 1 to 16; using the default/);
    const cores = await bad.evaluate(() => navigator.hardwareConcurrency);
    assert.equal((await run(bad, 'nproc')).trim(), String(Math.max(1, Math.min(cores, 8))));
    await bad.close();
  });

  it('without cross-origin isolation the page says why and how to fix it', async () => {
    const page = await browser.newPage();
    await page.goto(plain.url);
    const status = page.locator('#status');
    await status.waitFor();
    const text = (await status.textContent()) ?? '';
    assert.match(text, /cannot run here/);
    assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
    assert.match(text, /Cross-Origin-Embedder-Policy: require-corp/);
    await page.close();
  });

  it('?mount= mounts a serve-9p server over WebSocket (token checked); a bad one is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-web-9p-'));
    writeFileSync(join(dir, 'from-host.txt'), 'served to the browser\n');
    const server = await serveNineP({
      source: { kind: 'dir', dir, readOnly: false },
      port: 0,
      host: '127.0.0.1',
      token: 'w3b',
    });
    try {
      const page = await browser.newPage();
      const good = encodeURIComponent(`${server.url}?token=w3b`);
      const wrong = encodeURIComponent(`${server.url}?token=nope:/mnt/wrong`);
      await page.goto(`${isolated.url}?mount=${good}&mount=${wrong}&mount=relative:dir`);
      const boot = await waitForScreen(page, PROMPT);
      assert.match(boot, /\?mount=relative:dir: .*not mounted/);
      assert.match(boot, /cannot mount the host's host1 on \/mnt\/wrong: error 5/);
      assert.equal(await run(page, 'cat /mnt/net/from-host.txt'), 'served to the browser');
      await run(page, 'seq 1 5000 > /mnt/net/from-browser.txt');
      const want = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
      assert.equal(readFileSync(join(dir, 'from-browser.txt'), 'utf8'), want);
      assert.equal(await run(page, 'ls /mnt/wrong | wc -l'), '0');
      await page.close();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('?net= gives the guest a network through serve-net; a wrong token is refused', async () => {
    const body = randomBytes(3_000_000);
    const http = createHttpServer((_req, res) => res.end(body));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const httpPort = (http.address() as AddressInfo).port;
    // --allow-private: the file server is on this host's loopback.
    const relay = await serveNet({
      port: 0,
      host: '127.0.0.1',
      token: 'n3t',
      maxClients: 4,
      allowPrivate: true,
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${isolated.url}?net=${encodeURIComponent(`${relay.url}?token=n3t`)}`);
      await waitForScreen(page, PROMPT, 60_000);
      const url = `http://host.wasmlinux.internal:${httpPort}/file`;
      assert.equal(
        await run(page, `wget -q -O- ${url} | md5sum`),
        `${createHash('md5').update(body).digest('hex')}  -`,
      );
      await page.close();

      const refused = await browser.newPage();
      await refused.goto(
        `${isolated.url}?net=${encodeURIComponent(`${relay.url}?token=badtok3n`)}`,
      );
      const status = refused.locator('#status.error');
      await status.waitFor();
      assert.match((await status.textContent()) ?? '', /network: .*refused/);
      assert.doesNotMatch((await status.textContent()) ?? '', /badtok3n/);
      await refused.close();
    } finally {
      await relay.close();
      http.close();
    }
  });

  it('embedding API: run() gives output and status, writeFile() and readFile() move bytes', async () => {
    const page = await browser.newPage();
    await page.goto(isolated.url);
    await waitForScreen(page, PROMPT);
    const r = await page.evaluate(async () => {
      const vm = (window as unknown as { wasmlinux: import('../../src/browser/vm.js').WasmLinux })
        .wasmlinux;
      const ran = await vm.run('echo to-stdout; echo to-stderr >&2; uname -r; exit 3');
      const killed = await vm.run('kill -TERM $$');
      const data = new Uint8Array(100_000).map((_, i) => (i * 7919) % 251);
      await vm.writeFile('/tmp/api.bin', data);
      const sum = await vm.run('md5sum /tmp/api.bin');
      const back = await vm.readFile('/tmp/api.bin');
      const same = back.length === data.length && back.every((b, i) => b === data[i]);
      let missing = '';
      try {
        await vm.readFile('/no/such/file');
      } catch (err) {
        missing = (err as Error).message;
      }
      return { ran, killed: killed.status, sum: sum.output, same, missing };
    });
    assert.equal(r.ran.status, 3);
    assert.match(r.ran.output, /^to-stdout\nto-stderr\n6\.12\.\d+\S*\n$/);
    assert.equal(r.killed, 143);
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251));
    assert.equal(r.sum.trim(), `${createHash('md5').update(data).digest('hex')}  /tmp/api.bin`);
    assert.ok(r.same, 'readFile gives back what writeFile wrote');
    assert.match(r.missing, /No such file or directory/);
    await page.close();
  });

  it('a file dropped on the terminal arrives in /root intact; download FILE saves a file', async () => {
    const page = await browser.newPage();
    await page.goto(isolated.url);
    await waitForScreen(page, PROMPT);
    const size = 3 << 20;
    // The same bytes on both sides: a little linear congruential generator.
    const bytesOf = (n: number): Buffer => {
      const out = Buffer.alloc(n);
      let x = 12345;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        out[i] = x >>> 24;
      }
      return out;
    };
    await page.evaluate((n) => {
      const out = new Uint8Array(n);
      let x = 12345;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        out[i] = x >>> 24;
      }
      const dt = new DataTransfer();
      dt.items.add(new File([out], 'dropped.bin'));
      const target = document.getElementById('terminal') as HTMLElement;
      target.dispatchEvent(
        new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    }, size);
    const expected = `${createHash('md5').update(bytesOf(size)).digest('hex')}  /root/dropped.bin`;
    const deadline = Date.now() + 30_000;
    let got = '';
    while (Date.now() < deadline) {
      got = await page.evaluate(async () => {
        const vm = (window as unknown as { wasmlinux: import('../../src/browser/vm.js').WasmLinux })
          .wasmlinux;
        return (await vm.run('md5sum /root/dropped.bin 2>&1')).output.trim();
      });
      if (got === expected) break;
      await page.waitForTimeout(200);
    }
    assert.equal(got, expected);

    const download = page.waitForEvent('download');
    await page.keyboard.type('echo saved-by-the-guest > note.txt; download note.txt\n');
    const d = await download;
    assert.equal(d.suggestedFilename(), 'note.txt');
    const path = await d.path();
    assert.equal(readFileSync(path, 'utf8'), 'saved-by-the-guest\n');
    await page.close();
  });
});
