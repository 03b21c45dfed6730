// Content-addressed build cache under <cacheRoot>/<name>/<key>.
//
// Every expensive product is stored under a key that hashes all of its
// inputs, so an unchanged input set is never rebuilt and a changed one can
// never be served a stale result. Entries are built in a temp dir beside the
// final one and renamed into place only when complete, so an interrupted or
// failed build can never be mistaken for a finished one.
import { createHash, type Hash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './paths.js';
import { info } from './progress.js';

export type HashInput = string | { file: string } | { dir: string };

const STAMP = '.complete';

// Length-prefix every field so that no two different input lists can feed the
// same byte stream into the hash (e.g. ['ab','c'] vs ['a','bc']).
function field(h: Hash, tag: string, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  h.update(`${tag}:${buf.length}:`);
  h.update(buf);
}

function hashTree(h: Hash, root: string, rel: string): void {
  const abs = rel ? join(root, rel) : root;
  const names = readdirSync(abs).sort();
  for (const name of names) {
    const relPath = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, relPath));
    if (st.isDirectory()) {
      field(h, 'd', relPath);
      hashTree(h, root, relPath);
    } else if (st.isSymbolicLink()) {
      field(h, 'l', relPath);
      field(h, 't', readlinkSync(join(root, relPath)));
    } else if (st.isFile()) {
      // The executable bit matters for scripts copied into a build.
      field(h, (st.mode & 0o111) !== 0 ? 'x' : 'f', relPath);
      field(h, 'c', readFileSync(join(root, relPath)));
    }
  }
  field(h, 'e', rel); // end of directory, so moving a file between dirs changes the hash
}

/**
 * sha256 (hex, first 16 chars) over the given inputs: literal strings, file
 * contents, and directory trees walked in sorted order including relative
 * paths. A missing file or dir hashes as "missing" rather than throwing, since
 * optional inputs (e.g. an empty kernel/patches, which git does not keep) are
 * common.
 */
export function hashInputs(parts: readonly HashInput[]): string {
  const h = createHash('sha256');
  for (const part of parts) {
    if (typeof part === 'string') {
      field(h, 'S', part);
    } else if ('file' in part) {
      if (existsSync(part.file)) field(h, 'F', readFileSync(part.file));
      else field(h, 'M', 'missing-file');
    } else {
      if (existsSync(part.dir)) {
        field(h, 'D', '');
        hashTree(h, part.dir, '');
      } else {
        field(h, 'M', 'missing-dir');
      }
    }
  }
  return h.digest('hex').slice(0, 16);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Temp dirs are named .tmp-<key>-<pid>-<n>. A build killed by Ctrl-C leaves
// its temp dir behind (a kernel tree is ~1.5 GB), so remove those whose
// owning process is gone.
function removeStaleTemps(parent: string, key: string): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    const m = /^\.tmp-(.+)-(\d+)-\d+$/.exec(name);
    if (!m || m[1] !== key) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && !isAlive(pid))
      rmSync(join(parent, name), { recursive: true, force: true });
  }
}

let tmpCounter = 0;

function tempBeside(parent: string, key: string): string {
  return join(parent, `.tmp-${key}-${process.pid}-${tmpCounter++}`);
}

export interface CachedDirOptions {
  /**
   * Keep at most this many completed entries under `<cacheRoot>/<name>`,
   * deleting the least recently used after a new one is built. For big
   * entries (a kernel tree is ~1.7 GB) whose key changes with every edit.
   */
  keep?: number;
}

// Remove the least recently used completed entries beyond `keep`. A cache hit
// touches the stamp, so stamp mtime is the last use.
function prune(parent: string, keep: number, current: string): void {
  const entries = readdirSync(parent)
    .filter((n) => !n.startsWith('.'))
    .map((n) => ({ path: join(parent, n), stamp: join(parent, n, STAMP) }))
    .filter((e) => e.path !== current && existsSync(e.stamp))
    .map((e) => ({ ...e, used: statSync(e.stamp).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const e of entries.slice(Math.max(0, keep - 1))) {
    info(`removing old cache entry ${e.path}`);
    rmSync(e.path, { recursive: true, force: true });
  }
}

/**
 * Return `<cacheRoot>/<name>/<key>`, building it with `build(tmpDir)` unless
 * it already exists with a completion stamp. `build` must put its whole
 * result in tmpDir; on success the dir is stamped and renamed into place.
 */
export async function cachedDir(
  name: string,
  key: string,
  build: (tmpDir: string) => Promise<void>,
  opts: CachedDirOptions = {},
): Promise<string> {
  const parent = join(cacheRoot(), name);
  const final = join(parent, key);
  const stamp = join(final, STAMP);
  if (existsSync(stamp)) {
    const now = new Date();
    utimesSync(stamp, now, now); // mark as recently used, for prune()
    info(`${name}: cached (${final})`);
    return final;
  }
  mkdirSync(parent, { recursive: true });
  removeStaleTemps(parent, key);
  const tmp = tempBeside(parent, key);
  mkdirSync(tmp);
  try {
    await build(tmp);
    writeFileSync(join(tmp, STAMP), `${new Date().toISOString()}\n`);
    // An unstamped leftover at `final` is from a build that died mid-rename
    // or an older layout: it is garbage.
    if (existsSync(final) && !existsSync(join(final, STAMP))) {
      rmSync(final, { recursive: true, force: true });
    }
    try {
      renameSync(tmp, final);
    } catch (err) {
      // Another process finished the same key first; theirs is as good as ours.
      if (!existsSync(join(final, STAMP))) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (opts.keep !== undefined) prune(parent, opts.keep, final);
  return final;
}

/**
 * File analogue of cachedDir: returns `<cacheRoot>/<name>/<key><ext>`, built by
 * `build(tmpFile)` unless present. A file is complete by construction because
 * it only appears at its final path through an atomic rename.
 */
export async function cachedFile(
  name: string,
  key: string,
  build: (tmpFile: string) => Promise<void>,
  ext = '',
): Promise<string> {
  const parent = join(cacheRoot(), name);
  const final = join(parent, key + ext);
  if (existsSync(final)) {
    info(`${name}: cached (${final})`);
    return final;
  }
  mkdirSync(parent, { recursive: true });
  removeStaleTemps(parent, key);
  const tmp = tempBeside(parent, key);
  try {
    await build(tmp);
    if (!existsSync(tmp)) throw new Error(`cachedFile(${name}): build did not create ${tmp}`);
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return final;
}
