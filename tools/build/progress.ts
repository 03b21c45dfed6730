// Progress reporting and subprocess running for the build.
//
// Long commands (tar, make, apt-get) must not flood the terminal, yet a user
// (or CI) must see that something is happening and, on failure, see why.
// So every command's full output goes to a log file; on a TTY we draw one
// status line that is overwritten in place, and off a TTY (CI) we print a
// heartbeat line every ~15 s. Failures throw BuildError carrying the log tail.
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { logDir } from './paths.js';
import { describeExit, runProcess } from './process.js';
import { shellQuote } from './shell.js';

/** An expected failure: main.ts prints its message and log tail, no stack trace. */
export class BuildError extends Error {
  readonly logTail: readonly string[];
  readonly logFile: string | undefined;

  constructor(message: string, opts: { logTail?: readonly string[]; logFile?: string } = {}) {
    super(message);
    this.name = 'BuildError';
    this.logTail = opts.logTail ?? [];
    this.logFile = opts.logFile;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the full output goes; default `<cacheRoot>/logs/<label>.log`. */
  logFile?: string;
  /** Short name shown on the status line; default the command's basename. */
  label?: string;
}

export interface Step {
  done(detail?: string): void;
  fail(msg: string): void;
}

const TAIL_LINES = 40;
const HEARTBEAT_MS = 15_000;
const REDRAW_MS = 100;

// CI=true with a pseudo-TTY still gets plain lines: CI logs don't handle \r.
const interactive: boolean = process.stdout.isTTY === true && !process.env['CI'];

// Global console state so that normal lines and the status line do not
// overwrite each other. `printed` counts lines printed (not status redraws).
let statusShown = false;
let printed = 0;

function clearStatus(): void {
  if (statusShown) {
    process.stdout.write('\r\x1b[2K');
    statusShown = false;
  }
}

function drawStatus(text: string): void {
  const width = Math.max(20, (process.stdout.columns || 80) - 1);
  process.stdout.write('\r\x1b[2K' + truncate(text, width));
  statusShown = true;
}

function println(line: string): void {
  clearStatus();
  process.stdout.write(line + '\n');
  printed++;
}

/** An indented informational line belonging to the current step. */
export function info(msg: string): void {
  println(`    ${msg}`);
}

/** A non-fatal problem; goes to stderr so it stands out. */
export function warn(msg: string): void {
  clearStatus();
  process.stderr.write(`warning: ${msg}\n`);
  printed++;
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

// Output lines may carry colour codes or other control characters that would
// corrupt a one-line status display.
/* eslint-disable no-control-regex -- matching control characters is the point */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;
const CONTROL_CHAR = /[\x00-\x1f\x7f]/g;
/* eslint-enable no-control-regex */

function sanitize(line: string): string {
  return line.replace(ANSI_ESCAPE, '').replace(CONTROL_CHAR, ' ').trim();
}

/**
 * Start a titled step: prints `==> title`, then `==> title ... done (12.3s)`.
 * On a TTY the start line is rewritten in place when nothing came between.
 */
export function step(title: string): Step {
  const start = performance.now();
  println(`==> ${title}`);
  const printedAtStart = printed;
  let finished = false;
  const finish = (suffix: string): void => {
    if (finished) return;
    finished = true;
    clearStatus();
    if (interactive && printed === printedAtStart) process.stdout.write('\x1b[1A\x1b[2K');
    println(`==> ${title} ... ${suffix}`);
  };
  return {
    done(detail?: string): void {
      const d = formatDuration(performance.now() - start);
      finish(`done (${d})${detail ? `: ${detail}` : ''}`);
    },
    fail(msg: string): void {
      finish(`FAILED (${formatDuration(performance.now() - start)}): ${msg}`);
    },
  };
}

/** Run `fn` as a step: done() on success, fail() and rethrow on error. */
export async function withStep<T>(
  title: string,
  fn: (s: Step) => Promise<T>,
  detail?: (result: T) => string | undefined,
): Promise<T> {
  const s = step(title);
  try {
    const result = await fn(s);
    s.done(detail?.(result));
    return result;
  } catch (err) {
    s.fail(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
    throw err;
  }
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function slug(text: string): string {
  return text.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'command';
}

/** Splits a byte stream into lines (on \n, \r\n or bare \r, as progress bars use). */
class LineTail {
  readonly lines: string[] = [];
  last = '';
  private partial = '';

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.add(p);
  }

  flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  private add(raw: string): void {
    const line = raw.length > 1000 ? raw.slice(0, 1000) + '…' : raw;
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    const clean = sanitize(line);
    if (clean) this.last = clean;
  }
}

/**
 * Run a command with its output captured to a log file and summarised on the
 * console. Resolves when it exits 0; otherwise throws BuildError with the
 * command, exit status, log path and the last 40 lines of output.
 */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<{ logFile: string }> {
  const label = opts.label ?? basename(cmd);
  const logFile = opts.logFile ?? join(logDir(), `${slug(label)}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const cmdline = formatCommand(cmd, args);
  log.write(`$ ${cmdline}\n# cwd: ${opts.cwd ?? process.cwd()}\n`);

  const tail = new LineTail();
  const start = performance.now();
  const status = (): string =>
    `  ${label} [${formatDuration(performance.now() - start)}] ${tail.last}`;

  let lastDraw = 0;
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    tail.push(chunk.toString('utf8'));
    const now = performance.now();
    if (interactive && now - lastDraw >= REDRAW_MS) {
      lastDraw = now;
      drawStatus(status());
    }
  };
  // On a TTY the timer keeps the elapsed time ticking during quiet phases.
  const timer = interactive
    ? setInterval(() => drawStatus(status()), 1000)
    : setInterval(() => info(truncate(`${status().trim()} (still running)`, 200)), HEARTBEAT_MS);
  if (interactive) drawStatus(status());

  const result = await runProcess(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdout: onData,
    stderr: onData,
  });
  clearInterval(timer);
  clearStatus();
  tail.flush();

  const how = describeExit(result);
  log.write(`\n# ${how}\n`);
  await new Promise<void>((r) => log.end(r));

  if (result.error || result.code !== 0) {
    throw new BuildError(`${label}: command ${how}\n  command: ${cmdline}\n  log: ${logFile}`, {
      logTail: tail.lines,
      logFile,
    });
  }
  return { logFile };
}

/** Run a small command and return its stdout; throws BuildError with stderr on failure. */
export async function runCapture(
  cmd: string,
  args: readonly string[],
  opts: Omit<RunOptions, 'logFile' | 'label'> = {},
): Promise<string> {
  const out: Buffer[] = [];
  const err = new LineTail();
  const exit = await runProcess(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdout: (c) => out.push(c),
    stderr: (c) => err.push(c.toString('utf8')),
  });
  err.flush();
  if (exit.code === 0) return Buffer.concat(out).toString('utf8');
  throw new BuildError(`command ${describeExit(exit)}: ${formatCommand(cmd, args)}`, {
    logTail: err.lines,
  });
}
