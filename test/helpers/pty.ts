// Drive `wasmlinux` through a pseudo-terminal (node-pty), as a user at a
// terminal would: type keys, wait for output, resize, see how it ends.

import { spawn, type IPty } from 'node-pty';
import { CLI } from './guest.js';

export interface PtyExit {
  readonly exitCode: number;
  readonly signal: number | undefined;
}

/** Colours, cursor movement and other escape sequences, for matching text. */
export function stripAnsi(text: string): string {
  return text.replace(
    // CSI sequences, OSC (window title) sequences, charset and keypad modes.
    // eslint-disable-next-line no-control-regex
    /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g,
    '',
  );
}

export class PtySession {
  readonly pty: IPty;
  /** Everything the terminal received. */
  output = '';
  /** Where the next waitFor() starts looking. */
  private mark = 0;
  readonly exited: Promise<PtyExit>;
  private waiters: (() => void)[] = [];

  constructor(file: string, args: readonly string[], opts: { cols?: number; rows?: number } = {}) {
    this.pty = spawn(file, [...args], {
      name: 'xterm-256color',
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      cwd: process.cwd(),
      env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
    });
    this.pty.onData((d) => {
      this.output += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => {
      this.pty.onExit((e) => {
        for (const w of this.waiters.splice(0)) w();
        resolve({ exitCode: e.exitCode, signal: e.signal });
      });
    });
  }

  /** `wasmlinux ARGS` in a terminal of its own. */
  static wasmlinux(
    args: readonly string[] = [],
    opts?: { cols?: number; rows?: number },
  ): PtySession {
    return new PtySession(process.execPath, [CLI, ...args], opts);
  }

  write(text: string): void {
    this.pty.write(text);
  }

  /** Type a line the way a user would: the text, then Enter. */
  line(text: string): void {
    this.pty.write(`${text}\r`);
  }

  /** Everything shown so far, without escape sequences. */
  text(): string {
    return stripAnsi(this.output);
  }

  /** The text since the mark, without escape sequences. */
  recent(): string {
    return this.text().slice(this.mark);
  }

  /**
   * Wait until the text after the mark matches, then move the mark past
   * the match. Rejects with what was seen if it does not come in time.
   */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.recent();
      const m = re.exec(text);
      if (m) {
        this.mark += m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${re}; the terminal showed:\n${text.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Let output stop for ms, then look only at what comes after. */
  async settle(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.mark = this.text().length;
  }

  /** Type keys one chunk at a time, pausing between them (vi reads ESC sequences by timing). */
  async type(chunks: readonly string[], pauseMs = 100): Promise<void> {
    for (const c of chunks) {
      this.pty.write(c);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
  }

  kill(signal = 'SIGKILL'): void {
    try {
      this.pty.kill(signal);
    } catch {
      // already gone
    }
  }

  /** The exit, or a rejection after timeoutMs (the process is killed then). */
  async exit(timeoutMs = 15_000): Promise<PtyExit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(
          new Error(
            `no exit within ${timeoutMs} ms; the terminal showed:\n${this.recent().slice(-2000)}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
