// The web page in headless Chromium (playwright-core), served by serve.ts on
// localhost:
//   - navigation to the shell's prompt, cold (new profile, empty cache) and
//     warm (reload: 304s, cached compiled kernel);
//   - bytes transferred for the cold start (compressed, as sent);
//   - the CPU-bound `dd | md5sum` workload in the page against the same in
//     Node (`wasmlinux -- sh -c ...`): ratio browser / Node.
//
//   node --import tsx bench/web.ts [--runs N]

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { serve } from '../src/node/serve.js';
import { median } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const WORKLOAD =
  'a=$(date +%s%N); dd if=/dev/zero bs=1M count=256 2>/dev/null | md5sum >/dev/null; b=$(date +%s%N); echo "ms=$(( (b - a) / 1000000 ))"';

async function waitForPrompt(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      /# $/.test(
        ((document.querySelector('.xterm-rows') as HTMLElement | null)?.innerText ?? '').trimEnd() +
          ' ',
      ),
    null,
    { timeout: 30_000, polling: 5 },
  );
}

async function workloadInPage(page: Page): Promise<number> {
  await page.keyboard.type(`${WORKLOAD}\n`);
  const h = await page.waitForFunction(
    () =>
      /ms=(\d+)\s*$/m.exec((document.querySelector('.xterm-rows') as HTMLElement).innerText)?.[1],
    null,
    { timeout: 60_000 },
  );
  const ms = Number(await h.jsonValue());
  await page.keyboard.type('clear\n');
  await page.waitForTimeout(200);
  return ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const server = await serve({
    dir: join(ROOT, 'dist/web'),
    port: 0,
    host: '127.0.0.1',
    isolation: true,
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const cold: number[] = [];
  const warm: number[] = [];
  let transferred = 0;
  const browserMs: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      let t0 = performance.now();
      await page.goto(server.url);
      await waitForPrompt(page);
      cold.push(performance.now() - t0);
      if (i === 0) {
        transferred = await page.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .concat(performance.getEntriesByType('navigation'))
            .reduce((n, e) => n + (e as PerformanceResourceTiming).transferSize, 0),
        );
        for (let j = 0; j < runs; j++) browserMs.push(await workloadInPage(page));
      }
      t0 = performance.now();
      await page.reload();
      await waitForPrompt(page);
      warm.push(performance.now() - t0);
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  const nodeMs: number[] = [];
  for (let j = 0; j < runs; j++) {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/wasmlinux.mjs'), '--', 'sh', '-c', WORKLOAD],
      {
        encoding: 'utf8',
      },
    );
    nodeMs.push(Number(/ms=(\d+)/.exec(r.stdout)?.[1] ?? NaN));
  }
  const f = (x: number): string => `${x.toFixed(0)} ms`;
  console.log(
    `navigation to prompt, cold (${runs} runs): median ${f(median(cold))}, min ${f(Math.min(...cold))}`,
  );
  console.log(
    `navigation to prompt, warm reload: median ${f(median(warm))}, min ${f(Math.min(...warm))}`,
  );
  console.log(`transferred on a cold start: ${(transferred / 1024).toFixed(0)} KiB`);
  console.log(
    `dd bs=1M count=256 | md5sum: browser median ${f(median(browserMs))} (${(256000 / median(browserMs)).toFixed(0)} MiB/s), Node median ${f(median(nodeMs))} (${(256000 / median(nodeMs)).toFixed(0)} MiB/s); browser / Node time ${(median(browserMs) / median(nodeMs)).toFixed(2)}x`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
