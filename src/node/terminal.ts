// The host terminal while the interactive system runs: raw mode (the guest's
// tty does the line editing, echo and Ctrl-C), its size for the console's
// TIOCGWINSZ/SIGWINCH, and the promise that it is put back however the run
// ends: power-off, panic, host error, or a signal to this process.

import { spawnSync } from 'node:child_process';
import type { ReadStream, WriteStream } from 'node:tty';

/** Ctrl-]: leaves at once, like telnet's escape, whatever the guest is doing. */
export const ESCAPE_BYTE = 0x1d;

export interface TerminalSize {
  readonly rows: number;
  readonly cols: number;
}

const HOST_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const;
const SIGNAL_NUMBERS: Record<(typeof HOST_SIGNALS)[number], number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

export class HostTerminal {
  private raw = false;
  private readonly restoreOnExit = (): void => this.restore();

  constructor(
    private readonly input: ReadStream,
    private readonly output: WriteStream,
  ) {}

  size(): TerminalSize {
    return { rows: this.output.rows || 24, cols: this.output.columns || 80 };
  }

  onResize(callback: (size: TerminalSize) => void): void {
    this.output.on('resize', () => callback(this.size()));
  }

  /**
   * Raw mode until restore(). A signal to this process (the terminal's own
   * keys no longer send any) restores the terminal before it ends the run.
   */
  enterRaw(onSignal: (status: number) => void): void {
    this.input.setRawMode(true);
    this.raw = true;
    // Node's raw mode keeps output processing (\n -> \r\n); the guest's tty
    // already does that, as its programs ask. Best effort: without stty
    // lines only get a second \r. setRawMode(false) puts it back.
    spawnSync('stty', ['-opost'], { stdio: [this.input, 'ignore', 'ignore'] });
    process.on('exit', this.restoreOnExit);
    for (const name of HOST_SIGNALS) {
      process.on(name, () => {
        this.restore();
        onSignal(128 + SIGNAL_NUMBERS[name]);
      });
    }
  }

  /** Back to the mode the terminal had before (libuv saved it). Idempotent. */
  restore(): void {
    if (!this.raw) return;
    this.raw = false;
    try {
      this.input.setRawMode(false);
    } catch {
      // The terminal is gone (hung up): nothing left to restore.
    }
  }
}
