// The page's kept home (/root in OPFS) in headless Chromium: a 256 MiB file
// written and read back sequentially with dd in the guest, and create +
// stat + unlink of 10000 small files by bench/guest/meta.c, against the
// same dd and meta.c natively on a host directory. Times are the guest's own
// clock. The page gets an initramfs with meta.c added (served in place of
// the page's own through Playwright's routing); the profile is on disk.
//
//   node --import tsx bench/web-home.ts [--runs N] [--mib N]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { serve } from '../src/node/serve.js';
import { apiRun } from '../test/helpers/web.js';
import { buildMeta, median, TIMED } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const META = 10000;

function number(re: RegExp, out: string): number {
  const n = Number(re.exec(out)?.[1]);
  if (Number.isNaN(n)) throw new Error(`unexpected output: ${out}`);
  return n;
}

async function inPage(page: Page, command: string): Promise<string> {
  const r = await apiRun(page, command);
  if (r.status !== 0) throw new Error(`${command}: status ${r.status}: ${r.output}`);
  return r.output;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, mib: { type: 'string', default: '256' } },
  });
  const runs = Number(values.runs);
  const mib = Number(values.mib);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-home-'));
  const meta = await buildMeta(dir);
  const metaNative = meta.native;
  const initrd = readFileSync(meta.initrd);
  const site = await serve({
    dir: join(ROOT, 'dist/web'),
    port: 0,
    host: '127.0.0.1',
    isolation: true,
  });
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const gw: number[] = [];
  const gr: number[] = [];
  const gm: number[] = [];
  const hw: number[] = [];
  const hr: number[] = [];
  const hm: number[] = [];
  try {
    await ctx.route('**/initramfs.cpio', (route) =>
      route.fulfill({ body: initrd, contentType: 'application/octet-stream' }),
    );
    const page = await ctx.newPage();
    await page.goto(site.url);
    const home = await page.evaluate(async () => {
      const vm = (window as unknown as { wasmlinux: import('../src/browser/vm.js').WasmLinux })
        .wasmlinux;
      await vm.ready();
      return vm.home;
    });
    if (home !== 'kept') throw new Error(`/root is not kept on this page (${home})`);
    for (let i = 0; i < runs; i++) {
      gw.push(
        number(
          /ms=(\d+)/,
          await inPage(
            page,
            TIMED(`dd if=/dev/zero of=/root/f bs=1M count=${mib} 2>/dev/null; sync`),
          ),
        ),
      );
      gr.push(
        number(
          /ms=(\d+)/,
          await inPage(page, TIMED('dd if=/root/f of=/dev/null bs=1M 2>/dev/null')),
        ),
      );
      await inPage(page, 'rm -f /root/f; mkdir -p /root/m');
      gm.push(number(/meta \d+ ([\d.]+)/, await inPage(page, `meta /root/m ${META}`)));
      const sh = (script: string): string =>
        spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout;
      hw.push(
        number(
          /ms=(\d+)/,
          sh(TIMED(`dd if=/dev/zero of=${dir}/f bs=1M count=${mib} 2>/dev/null; sync`)),
        ),
      );
      hr.push(number(/ms=(\d+)/, sh(TIMED(`dd if=${dir}/f of=/dev/null bs=1M 2>/dev/null`))));
      spawnSync('mkdir', ['-p', join(dir, 'm')]);
      hm.push(
        number(
          /meta \d+ ([\d.]+)/,
          spawnSync(metaNative, [join(dir, 'm'), String(META)], { encoding: 'utf8' }).stdout,
        ),
      );
      process.stderr.write(`run ${i + 1}/${runs} done\n`);
    }
  } finally {
    await ctx.close();
    site.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (ms: number): string => `${((mib * 1000) / ms).toFixed(0)} MiB/s`;
  console.log(
    `sequential write ${mib} MiB: guest /root in OPFS ${rate(median(gw))}, host dd ${rate(median(hw))}`,
  );
  console.log(
    `sequential read ${mib} MiB: guest /root in OPFS ${rate(median(gr))}, host dd ${rate(median(hr))}`,
  );
  const files = (ms: number[]): string => `${((META * 1000) / median(ms)).toFixed(0)} files/s`;
  console.log(
    `create+stat+unlink x ${META} (meta.c): guest /root in OPFS ${files(gm)} ` +
      `(${(median(gm) / median(hm)).toFixed(1)}x native), native ${files(hm)}`,
  );
  console.log(
    `each run: write ms ${gw.join(' ')}; read ms ${gr.join(' ')}; meta ms ${gm.join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
