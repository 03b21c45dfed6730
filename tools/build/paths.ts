// Well-known locations used by the build. Everything that is expensive to
// produce (downloads, extracted trees, compiled outputs) lives in the cache,
// outside the clone, so a fresh clone or `git clean` does not throw it away.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository checkout (this file is tools/build/paths.ts). */
export function repoRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
}

/**
 * `${XDG_CACHE_HOME:-~/.cache}/wasmlinux`. Read on every call (not memoised) so
 * tests can point it at a temp dir by setting XDG_CACHE_HOME.
 */
export function cacheRoot(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  // The XDG spec says relative values must be ignored.
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'wasmlinux');
}

/** `<repo>/build`: gitignored; final artifacts are copied/linked here for the CLI. */
export function buildDir(): string {
  return join(repoRoot(), 'build');
}

/** `<cacheRoot>/logs`: full output of every command run through progress.run(). */
export function logDir(): string {
  return join(cacheRoot(), 'logs');
}
