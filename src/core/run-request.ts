// "wasmlinux -- CMD ARGS": the command travels to the guest's init as a file
// in an extra cpio archive appended to the initramfs (the kernel unpacks
// concatenated archives), so arguments may hold any bytes but NUL and need
// no quoting on the kernel command line. userland/init/init.c reads it.

import { writeCpio } from './cpio.js';

export const RUN_FILE = 'etc/wasmlinux/run';

/** Which of the host's standard streams are terminals. */
export interface StdioTtys {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/**
 * The run file: "stdio=XYZ\n" (for stdin, stdout, stderr: t for a terminal,
 * which the command gets as the console, p for anything else, which it gets
 * as /dev/host_stdin, host_stdout, host_stderr), then each argument
 * NUL-terminated.
 */
export function encodeRunFile(argv: readonly string[], ttys: StdioTtys): Uint8Array {
  if (argv.length === 0) throw new Error('no command to run');
  for (const a of argv) {
    if (a.includes('\0')) throw new Error('command arguments cannot contain NUL bytes');
  }
  const flags = [ttys.stdin, ttys.stdout, ttys.stderr].map((t) => (t ? 't' : 'p')).join('');
  const text = `stdio=${flags}\n${argv.map((a) => `${a}\0`).join('')}`;
  return new TextEncoder().encode(text);
}

/** The initramfs with the run file appended as a second archive. */
export function withRunRequest(
  initrd: Uint8Array,
  argv: readonly string[],
  ttys: StdioTtys,
): Uint8Array<ArrayBuffer> {
  const extra = writeCpio([
    { path: 'etc', type: 'dir', mode: 0o755 },
    { path: 'etc/wasmlinux', type: 'dir', mode: 0o755 },
    { path: RUN_FILE, type: 'file', mode: 0o644, data: encodeRunFile(argv, ttys) },
  ]);
  // Archives start on a 4-byte boundary.
  const pad = (4 - (initrd.length % 4)) % 4;
  const out = new Uint8Array(initrd.length + pad + extra.length);
  out.set(initrd, 0);
  out.set(extra, initrd.length + pad);
  return out;
}

/** The status the guest asked for with reboot(RESTART2, "exit:N"), if any. */
export function exitStatusFromRestart(command: string | null): number | null {
  const m = command === null ? null : /^exit:(\d{1,3})$/.exec(command);
  return m ? Number(m[1]) & 0xff : null;
}
