// Patch series: a directory of patches and a `series` file naming them in
// order, applied with `patch -p1` (the kernel's, musl's, BusyBox's).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError, run } from './progress.js';

/** Patch file names from `<dir>/series`: one per line, `#` comments and blanks ignored. */
export function readSeries(dir: string): string[] {
  const series = join(dir, 'series');
  if (!existsSync(series)) return [];
  return readFileSync(series, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

/** How a series is named in progress lines and errors. */
export interface SeriesLabel {
  /** What one patch is, e.g. "kernel patch". */
  readonly what: string;
  /** What the patches apply to, e.g. "linux-source-6.12 6.12.117-1~deb12u1". */
  readonly against: string;
}

/** Applies the series in `dir` to `tree`, in order; returns how many patches it has. */
export async function applySeries(tree: string, dir: string, label: SeriesLabel): Promise<number> {
  const names = readSeries(dir);
  for (const name of names) {
    const file = join(dir, name);
    if (!existsSync(file)) {
      throw new BuildError(`${join(dir, 'series')} lists ${name}, but ${file} does not exist`);
    }
    try {
      await run('patch', ['-p1', '--forward', '--batch', '-i', file], {
        cwd: tree,
        label: `${label.what} ${name}`,
      });
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      throw new BuildError(
        `${label.what} ${name} does not apply to ${label.against}\n` +
          `  (patches are applied in series order with patch -p1 --forward)\n` +
          `  log: ${err.logFile ?? '?'}`,
        { logTail: err.logTail, logFile: err.logFile },
      );
    }
  }
  return names.length;
}
