// Mirror one directory tree onto another, touching only what changed.
//
// Used to overlay the repo's kernel/arch/wasm onto <tree>/arch/wasm in the
// cached kernel source. A plain copy would bump every mtime and make `make`
// rebuild all of arch/wasm on every run; copying only files whose content
// differs keeps incremental kernel builds incremental.
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';

export interface SyncResult {
  /** Files (and symlinks) written because they were new or differed. */
  copied: number;
  /** Entries deleted from dst because src has no such entry (a stale dir counts once). */
  removed: number;
}

function kind(st: Stats): 'dir' | 'file' | 'link' | 'other' {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'link';
  if (st.isFile()) return 'file';
  return 'other';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function sameFile(src: string, srcSt: Stats, dst: string, dstSt: Stats): boolean {
  // Size first: cheap and rules out most changed files without reading them.
  return srcSt.size === dstSt.size && readFileSync(src).equals(readFileSync(dst));
}

function syncInto(src: string, dst: string, result: SyncResult): void {
  const srcNames = readdirSync(src);
  const keep = new Set(srcNames);

  for (const name of readdirSync(dst)) {
    if (!keep.has(name)) {
      rmSync(join(dst, name), { recursive: true, force: true });
      result.removed++;
    }
  }

  for (const name of srcNames.sort()) {
    const s = join(src, name);
    const d = join(dst, name);
    const sSt = lstatSync(s);
    const sKind = kind(sSt);
    if (sKind === 'other') continue; // sockets, fifos: nothing sensible to mirror
    let dSt = lstatOrNull(d);
    if (dSt && kind(dSt) !== sKind) {
      rmSync(d, { recursive: true, force: true });
      result.removed++;
      dSt = null;
    }

    if (sKind === 'dir') {
      if (!dSt) mkdirSync(d);
      syncInto(s, d, result);
    } else if (sKind === 'link') {
      const target = readlinkSync(s);
      if (dSt && readlinkSync(d) === target) continue;
      if (dSt) rmSync(d, { force: true });
      symlinkSync(target, d);
      result.copied++;
    } else {
      if (dSt && sameFile(s, sSt, d, dSt)) {
        // Content equal: leave mtime alone, but keep the mode (e.g. +x scripts) in step.
        if ((dSt.mode & 0o7777) !== (sSt.mode & 0o7777)) chmodSync(d, sSt.mode & 0o7777);
        continue;
      }
      copyFileSync(s, d);
      chmodSync(d, sSt.mode & 0o7777);
      result.copied++;
    }
  }
}

/**
 * Make `dst` an exact mirror of `src`: copy files that are new or whose
 * content differs, create missing dirs, and delete whatever in dst is not in
 * src. Unchanged files are not rewritten, so their mtimes are preserved.
 */
export function syncDir(src: string, dst: string): SyncResult {
  const st = lstatOrNull(src);
  if (!st?.isDirectory()) throw new Error(`syncDir: source is not a directory: ${src}`);
  // A file or symlink where the dst dir should be is replaced, not followed.
  const dstSt = lstatOrNull(dst);
  if (dstSt && !dstSt.isDirectory()) rmSync(dst, { force: true });
  mkdirSync(dst, { recursive: true });
  const result: SyncResult = { copied: 0, removed: 0 };
  syncInto(src, dst, result);
  return result;
}
