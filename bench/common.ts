// What several benchmarks share: the median of their runs, a guest command
// timed by the guest's own clock, and bench/guest/meta.c built both ways.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initramfsPlus } from '../test/helpers/guest.js';
import { compileGuestProgram } from '../tools/build/guest-cc.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A shell command followed by "ms=N": how long it took by the clock of the machine it ran on. */
export const TIMED = (cmd: string): string =>
  `a=$(date +%s%N); ${cmd}; b=$(date +%s%N); echo "ms=$(( (b - a) / 1000000 ))"`;

/**
 * bench/guest/meta.c (create + stat + unlink of N files, printing
 * "meta N MS") built natively and for the guest, in dir; the guest's copy
 * is /bin/meta in an initramfs beside it.
 */
export async function buildMeta(dir: string): Promise<{ native: string; initrd: string }> {
  const src = join(ROOT, 'bench/guest/meta.c');
  const native = join(dir, 'meta-native');
  const guest = join(dir, 'meta-guest');
  const cc = spawnSync('cc', ['-O2', '-o', native, src], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`native build failed: ${cc.stderr}`);
  await compileGuestProgram(guest, [src], { cflags: ['-O2'] });
  const initrd = initramfsPlus(join(dir, 'initrd.cpio'), { '/bin/meta': [guest, 0o755] });
  return { native, initrd };
}
