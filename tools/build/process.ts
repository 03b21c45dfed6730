// Running a program: the one place a build tool starts a child process
// and learns how it ended. What differs between callers (a build step's
// log file and status line, a compiler driver's pass-through output, a
// test run that owns the terminal) is what they do with the streams.

import { spawn, type StdioOptions } from 'node:child_process';

/** How a child ended. */
export interface Exit {
  /** The exit status, or null when a signal ended it or it never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (spawn's error), if it could not. */
  readonly error?: Error;
}

export interface StartOptions {
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Default: stdin ignored, stdout and stderr piped to the callbacks. */
  readonly stdio?: StdioOptions;
  readonly stdout?: (chunk: Buffer) => void;
  readonly stderr?: (chunk: Buffer) => void;
  /** Called with the child once it is started (to forward signals to it). */
  readonly started?: (kill: (signal: NodeJS.Signals) => void) => void;
}

/** Runs cmd and resolves with how it ended (never rejects). */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: StartOptions = {},
): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    if (opts.stdout) child.stdout?.on('data', opts.stdout);
    if (opts.stderr) child.stderr?.on('data', opts.stderr);
    opts.started?.((signal) => child.kill(signal));
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
}

/** "exited with code 2", "was killed by SIGKILL", "could not be started: …". */
export function describeExit(exit: Exit): string {
  if (exit.error) return `could not be started: ${exit.error.message}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${String(exit.code)}`;
}
