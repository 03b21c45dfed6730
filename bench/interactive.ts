// Interactive benchmark, through a pseudo-terminal (node-pty) as a user
// sees it:
//   - boot to prompt: wall time from starting `wasmlinux` (no command) to
//     the first byte of the shell's prompt;
//   - echo latency: time from writing one key to the pty until the terminal
//     shows it, at the guest shell's prompt (hush's line editing echoes it),
//     against the same keys at a native /bin/sh in a pty (the host kernel's
//     tty echo): the ratio is guest / native;
//   - the same echo latency while a shell loop computes in the background
//     (`while :; do :; done &`): the keystroke waits for preemption.
//
//   node --import tsx bench/interactive.ts [--runs N] [--keys N] [--cpus N]
//       [--worker-per-task]
//
// Boot time depends on how many host threads start: run it under Node 24
// (JSPI) and Node 20, or with and without --worker-per-task, to see it.

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type IPty } from 'node-pty';
import { median } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(ROOT, 'bin/wasmlinux.mjs');
const PROMPT = '# ';

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

function start(file: string, args: string[]): IPty {
  return spawn(file, args, {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: ROOT,
    env: { ...process.env, TERM: 'xterm-256color', PS1: PROMPT } as Record<string, string>,
  });
}

function waitFor(pty: IPty, text: string, timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no "${text}" within ${timeoutMs} ms; saw: ${seen.slice(-300)}`));
    }, timeoutMs);
    const sub = pty.onData((d) => {
      seen += d;
      if (seen.includes(text)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(performance.now());
      }
    });
  });
}

/** Type `keys` letters one at a time, each after the previous one's echo. */
async function echoLatencies(pty: IPty, keys: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < keys; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const echoed = waitFor(pty, ch, 5_000);
    const t0 = performance.now();
    pty.write(ch);
    out.push((await echoed) - t0);
    // Keep the line short: erase now and then (and let the erase settle).
    if (i % 40 === 39) {
      pty.write('\x15');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return out;
}

async function bootToPrompt(cpus: string[]): Promise<{ promptMs: number; pty: IPty }> {
  const t0 = performance.now();
  const pty = start(process.execPath, [CLI, ...cpus]);
  const at = await waitFor(pty, PROMPT);
  return { promptMs: at - t0, pty };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      keys: { type: 'string', default: '200' },
      cpus: { type: 'string' },
      'worker-per-task': { type: 'boolean', default: false },
    },
  });
  const cpus = [
    ...(values.cpus === undefined ? [] : ['--cpus', values.cpus]),
    ...(values['worker-per-task'] ? ['--worker-per-task'] : []),
  ];
  console.log(`guest CPUs: ${values.cpus ?? 'the CLI default'}; Node ${process.version}`);
  if (values['worker-per-task']) console.log('a worker per task (--worker-per-task)');
  const runs = Number(values.runs);
  const keys = Number(values.keys);

  const prompts: number[] = [];
  let guestEcho: number[] = [];
  let busyEcho: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { promptMs, pty } = await bootToPrompt(cpus);
    prompts.push(promptMs);
    // Let boot finish settling before timing keystrokes (first run only).
    if (i === 0) {
      await new Promise((r) => setTimeout(r, 300));
      guestEcho = await echoLatencies(pty, keys);
      pty.write('\x15while :; do :; done &\r');
      await new Promise((r) => setTimeout(r, 500));
      busyEcho = await echoLatencies(pty, Math.min(keys, 100));
      pty.write('\x15kill %1\r');
      await new Promise((r) => setTimeout(r, 300));
    }
    pty.write('\x15poweroff\r');
    await new Promise<void>((resolve) => pty.onExit(() => resolve()));
  }

  const native = start('/bin/sh', []);
  await new Promise((r) => setTimeout(r, 300));
  const nativeEcho = await echoLatencies(native, keys);
  native.kill();

  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  console.log(
    `boot to prompt (${runs} runs): median ${ms(median(prompts))}, min ${ms(Math.min(...prompts))}, max ${ms(Math.max(...prompts))}`,
  );
  console.log(
    `echo latency (${keys} keys): guest median ${ms(median(guestEcho))}, p95 ${ms(percentile(guestEcho, 95))}, max ${ms(Math.max(...guestEcho))}`,
  );
  console.log(
    `echo latency with a busy loop in the background (${busyEcho.length} keys): median ${ms(median(busyEcho))}, p95 ${ms(percentile(busyEcho, 95))}, max ${ms(Math.max(...busyEcho))}`,
  );
  console.log(
    `echo latency native /bin/sh in a pty: median ${ms(median(nativeEcho))}, p95 ${ms(percentile(nativeEcho, 95))}`,
  );
  console.log(
    `echo latency ratio (guest / native, medians): ${(median(guestEcho) / median(nativeEcho)).toFixed(2)}x`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
