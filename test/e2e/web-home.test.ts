// The page's persistent home in Debian's headless Chromium: /root is kept
// in the origin-private file system (src/browser/ninep/opfs-home.ts) and
// survives a reload and a browser restart; a second tab is told it cannot
// have it; Export, Reset and Import on the page round-trip it; a full
// quota is ENOSPC in the guest; and the 9P conformance checks pass on it,
// looking at the store through the page's 9P server thread. Each test has its own browser profile on
// disk, as a user's browser would.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serve } from '../../src/node/serve.js';
import type { InspectResult } from '../../src/core/ninep/inspect.js';
import { fileSemanticsChecks, inspectView } from '../helpers/ninep-checks.js';
import { apiRun, CHROMIUM, screen, WEB } from '../helpers/web.js';

let site: { url: string; close: () => void };
let scratch: string;

type VmWindow = { wasmlinux: import('../../src/browser/vm.js').WasmLinux };

function profile(): Promise<BrowserContext> {
  const dir = mkdtempSync(join(scratch, 'profile-'));
  return launch(dir);
}

function launch(dir: string): Promise<BrowserContext> {
  // --no-sandbox: the tests run as root here.
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: ['--no-sandbox'],
    acceptDownloads: true,
  });
}

/** Opens the page (with query) in a new tab and waits until the guest takes commands. */
async function open(ctx: BrowserContext, query = ''): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${site.url}${query}`);
  await ready(page);
  return page;
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as Partial<VmWindow>).wasmlinux, null, {
    timeout: 60_000,
  });
  await page.evaluate(() => (window as unknown as VmWindow).wasmlinux.ready());
}

const home = (page: Page): Promise<string> =>
  page.evaluate(() => (window as unknown as VmWindow).wasmlinux.home);

async function sh(page: Page, command: string): Promise<string> {
  const r = await apiRun(page, command);
  assert.equal(r.status, 0, `${command}:\n${r.output}`);
  return r.output;
}

/** Files of every kind, with modes, links and a set time. */
const MAKE = [
  'cd /root',
  'dd if=/dev/urandom of=big bs=1M count=20 2>/dev/null',
  'mkdir -p d/e',
  "printf 'kept\\n' > d/e/f",
  'ln -s d/e/f link',
  'ln d/e/f hard',
  'chmod 741 d/e/f',
  "touch -d '2001-02-03 04:05:06' d/e/f",
].join(' && ');

/** What the guest sees of those files: contents, modes, links, sizes, times. */
const STATE =
  'cd /root && md5sum big && stat -c "%n %f %h %s %Y" big d/e/f link hard && readlink link && cat link && ls -ld d d/e | cut -c1-10';

describe('the persistent home on the page (Chromium, OPFS)', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(existsSync(join(WEB, 'index.html')), 'dist/web missing: run npm run build');
    assert.ok(existsSync(CHROMIUM), 'chromium missing: npm test installs it');
    site = await serve({ dir: WEB, port: 0, host: '127.0.0.1', isolation: true });
    scratch = mkdtempSync(join(tmpdir(), 'wasmlinux-home-'));
  });
  after(() => {
    site?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('files in /root survive a reload and a browser restart (a 20 MB md5, modes, times, links)', async () => {
    const dir = mkdtempSync(join(scratch, 'profile-'));
    let ctx = await launch(dir);
    const page = await open(ctx);
    assert.equal(await home(page), 'kept');
    assert.match(await sh(page, 'mount'), /^home on \/root type 9p /m);
    await sh(page, MAKE);
    const before = await sh(page, STATE);
    // The set time and mode went in (0100741 is 81e1), and the links are links.
    assert.match(before, /^d\/e\/f 81e1 2 5 981173106$/m);
    assert.match(before, /^hard 81e1 2 5 981173106$/m);
    assert.match(before, /^link a1ff 1 5 \d+$/m);
    assert.match(before, /^d\/e\/f\nkept\n/m);
    assert.match(before, /^big 81a4 1 20971520 /m);

    await page.reload();
    await ready(page);
    assert.equal(await home(page), 'kept');
    assert.equal(await sh(page, STATE), before);

    await ctx.close();
    ctx = await launch(dir);
    const again = await open(ctx);
    assert.equal(await sh(again, STATE), before);
    await ctx.close();
  });

  it('a second tab gets /root in memory and says so; the next tab after the first has the home', async () => {
    const ctx = await profile();
    try {
      const first = await open(ctx);
      await sh(first, 'echo from-first > /root/mine');
      const second = await open(ctx);
      assert.equal(await home(second), 'memory');
      assert.match(await screen(second), /the home is in use in another tab of this site/);
      assert.equal(await sh(second, 'ls -A /root'), '');
      await sh(second, 'echo from-second > /root/theirs');
      assert.equal(await sh(first, 'ls /root'), 'mine\n');
      await first.close();
      const third = await open(ctx);
      assert.equal(await home(third), 'kept');
      assert.equal(await sh(third, 'cat /root/mine; ls /root'), 'from-first\nmine\n');
    } finally {
      await ctx.close();
    }
  });

  it('Export /root, Reset /root and Import… on the page round-trip the home', async () => {
    const ctx = await profile();
    try {
      const page = await open(ctx);
      await sh(page, MAKE.replace('count=20', 'count=3'));
      // BusyBox tar sets no time on a symlink it makes; the rest must all come back.
      const files =
        'cd /root && md5sum big && stat -c "%n %f %h %s %Y" big d/e/f hard && stat -c "%n %f %s" link && readlink link && cat link';
      const made = await sh(page, files);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('#home-export'),
      ]);
      const tar = join(scratch, 'home.tar');
      await download.saveAs(tar);
      // The host's GNU tar reads it: the names, the link and the set time.
      const listing = execFileSync('tar', ['-tvf', tar, '--utc', '--full-time'], {
        encoding: 'utf8',
      });
      assert.match(listing, /^-rw-r--r-- .* 3145728 .* \.\/big$/m);
      assert.match(listing, /^-rwxr----x .* 2001-02-03 04:05:06 \.\/d\/e\/f$/m);
      assert.match(listing, /\.\/link -> d\/e\/f$/m);
      assert.match(listing, /\.\/hard link to \.\/d\/e\/f$/m);

      page.once('dialog', (d) => void d.accept());
      await Promise.all([
        page.waitForEvent('load', { timeout: 60_000 }),
        page.click('#home-reset'),
      ]);
      await ready(page);
      assert.equal(await home(page), 'kept');
      assert.doesNotMatch(await sh(page, 'ls -A /root'), /big|link|hard|\bd\b/);

      const [chooser] = await Promise.all([
        page.waitForEvent('filechooser'),
        page.click('#home-import'),
      ]);
      await chooser.setFiles(tar);
      await page.waitForFunction(() => document.getElementById('status')?.hidden === true);
      assert.equal(await sh(page, files), made);

      // And it stays: the imported home is the kept one.
      await page.reload();
      await ready(page);
      assert.equal(await sh(page, files), made);
    } finally {
      await ctx.close();
    }
  });

  it('a full quota is ENOSPC in the guest, and what was written before stays', async () => {
    const ctx = await profile();
    try {
      const page = await ctx.newPage();
      // DevTools' quota override: 64 MB for this origin (about 20 go to open handles).
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', {
        origin: new URL(site.url).origin,
        quotaSize: 64 << 20,
      });
      await page.goto(site.url);
      await ready(page);
      const r = await apiRun(
        page,
        'echo kept > /root/first; dd if=/dev/zero of=/root/fill bs=64k count=1024 2>&1; echo "dd=$?"; cat /root/first',
      );
      assert.match(r.output, /No space left on device/);
      assert.match(r.output, /dd=1\nkept\n$/);
    } finally {
      await ctx.close();
    }
  });

  describe('the 9P conformance checks, on the home in OPFS', () => {
    let ctx: BrowserContext | null = null;
    let page: Page | null = null;
    before(async () => {
      ctx = await profile();
      page = await open(ctx);
    });
    after(async () => ctx?.close());
    const onPage = (): Page => page ?? assert.fail('the page did not open');
    // Bytes cross the DevTools protocol as arrays of numbers.
    const view = inspectView(async (request) => {
      const wire =
        request.op === 'write' ? { ...request, data: Array.from(request.data) } : request;
      const r = await onPage().evaluate(async (req) => {
        const vm = (window as unknown as VmWindow).wasmlinux;
        const asked = 'data' in req ? { ...req, data: Uint8Array.from(req.data) } : req;
        const result = await vm.inspectHome(asked as Parameters<typeof vm.inspectHome>[0]);
        return result.ok && result.data ? { ...result, data: Array.from(result.data) } : result;
      }, wire);
      if (!r.ok) return r;
      const { data, ...rest } = r as { data?: number[] } & Omit<
        InspectResult & { ok: true },
        'data'
      >;
      return data ? { ...rest, data: Uint8Array.from(data) } : rest;
    });
    fileSemanticsChecks({
      dir: '/root',
      store: {
        ...view,
        // Hashed in the page: 100 MB is too much for the protocol.
        sha256: (name) =>
          onPage().evaluate(async (n) => {
            const vm = (window as unknown as VmWindow).wasmlinux;
            const r = await vm.inspectHome({ op: 'read', path: n });
            if (!r.ok || !r.data) throw new Error(`read ${n} failed`);
            const digest = await crypto.subtle.digest('SHA-256', r.data as Uint8Array<ArrayBuffer>);
            return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(
              '',
            );
          }, name),
      },
      sh: async (script) => {
        const r = await apiRun(onPage(), script);
        return { status: r.status, stdout: r.output, stderr: r.output };
      },
    });
  });

  it('without an origin-private file system, /root is a tree in memory and the console says so', async () => {
    const ctx = await profile();
    try {
      const page = await ctx.newPage();
      // A browser without OPFS, as far as the page can tell.
      await page.addInitScript(() => {
        Object.defineProperty(StorageManager.prototype, 'getDirectory', { value: undefined });
      });
      await page.goto(site.url);
      await ready(page);
      assert.equal(await home(page), 'memory');
      assert.match(await screen(page), /no origin-private file system: \/root is in memory/);
      assert.match(await sh(page, 'mount'), /^home on \/root type 9p /m);
      assert.equal(await sh(page, 'echo kept-for-now > /root/a && cat /root/a'), 'kept-for-now\n');
    } finally {
      await ctx.close();
    }
  });

  it('?persist=0 mounts no home and shows no home controls', async () => {
    const ctx = await profile();
    try {
      const page = await open(ctx, '?persist=0');
      assert.equal(await home(page), 'off');
      assert.doesNotMatch(await sh(page, 'mount'), / \/root /);
      assert.equal(await page.locator('#home').isHidden(), true);
    } finally {
      await ctx.close();
    }
  });
});
