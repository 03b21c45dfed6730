// What the tests of the web page share: where the page and Chromium are,
// and reading the terminal and running commands through the page.

import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './guest.js';

export const WEB = join(ROOT, 'dist/web');
export const CHROMIUM = '/usr/bin/chromium';
export const PROMPT = /root@wasmlinux:[^\n]*# $/;

/** What the terminal shows, row by row. */
export function screen(page: Page): Promise<string> {
  return page.evaluate(() => {
    const rows = document.querySelector('.xterm-rows');
    return rows ? (rows as HTMLElement).innerText.replace(/\u00a0/g, ' ') : '';
  });
}

export async function waitForScreen(page: Page, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await screen(page);
    if (re.test(text.trimEnd() + ' ')) return text;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${re}; the page showed:\n${text}`);
    await page.waitForTimeout(50);
  }
}

/** Type a command and return the lines it printed before the next prompt. */
export async function run(page: Page, command: string): Promise<string> {
  const marker = `__done_${Math.random().toString(36).slice(2)}__`;
  await page.keyboard.type(`${command}; echo ${marker}\n`);
  const text = await waitForScreen(page, new RegExp(`\\n${marker}\\n`));
  const lines = text.split('\n');
  const end = lines.lastIndexOf(marker);
  let start = end - 1;
  while (start >= 0 && !(lines[start] ?? '').includes(`echo ${marker}`)) start--;
  return lines.slice(start + 1, end).join('\n');
}

/** Runs a command through the page's embedding API (vm.run): its status and output. */
export function apiRun(page: Page, command: string): Promise<{ status: number; output: string }> {
  return page.evaluate(async (c) => {
    const vm = (window as unknown as { wasmlinux: import('../../src/browser/vm.js').WasmLinux })
      .wasmlinux;
    await vm.ready();
    const r = await vm.run(c);
    return { status: r.status, output: r.output };
  }, command);
}
