// A storage seen from the host's side, by '/'-separated path, without the
// guest: read, write, lstat, readlink, unlink. The page's 9P server thread
// answers these for its home (WasmLinux.inspectHome), and the conformance
// checks use them to see what the guest's operations left in a storage
// (test/helpers/ninep-checks.ts).

import { errnoOf, isDir, NeedsAsync, nameOf, type NinePBackend } from './backend.js';

export type InspectRequest =
  | { readonly op: 'write'; readonly path: string; readonly data: Uint8Array }
  | { readonly op: 'read' | 'lstat' | 'readlink' | 'unlink'; readonly path: string };

/** A file's attributes, in types every structured clone carries. */
export interface InspectStat {
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** The inode number, as decimal text. */
  readonly ino: string;
  readonly isDirectory: boolean;
}

export type InspectResult =
  | {
      readonly ok: true;
      readonly data?: Uint8Array;
      readonly stat?: InspectStat;
      readonly target?: string;
    }
  | { readonly ok: false; readonly errno: number };

const WRITE = { access: 1, truncate: true, append: false } as const;
const READ = { access: 0, truncate: false, append: false } as const;

/**
 * Does what the request asks of the storage. A storage's NeedsAsync comes
 * out (nothing done yet): the caller makes the request again once it settles.
 */
export function inspect(b: NinePBackend, r: InspectRequest): InspectResult {
  const path = r.path.split('/').filter(Boolean).map(nameOf);
  try {
    switch (r.op) {
      case 'write': {
        const f = b.create(path, WRITE, 0o644, false);
        try {
          for (let at = 0; at < r.data.length;) at += f.write(r.data.subarray(at), at);
        } finally {
          f.close();
        }
        return { ok: true };
      }
      case 'read': {
        const f = b.open(path, READ);
        try {
          const data = new Uint8Array(Number(f.stat().size));
          for (let at = 0; at < data.length;) {
            const n = f.read(data.subarray(at), at);
            if (n <= 0) return { ok: true, data: data.subarray(0, at) };
            at += n;
          }
          return { ok: true, data };
        } finally {
          f.close();
        }
      }
      case 'lstat': {
        const st = b.lstat(path);
        return {
          ok: true,
          stat: {
            mode: st.mode,
            size: Number(st.size),
            mtimeMs: Number(st.mtimeNs / 1_000_000n),
            ino: st.ino.toString(),
            isDirectory: isDir(st),
          },
        };
      }
      case 'readlink':
        return { ok: true, target: new TextDecoder().decode(b.readlink(path)) };
      case 'unlink':
        b.unlink(path);
        return { ok: true };
    }
  } catch (err) {
    if (err instanceof NeedsAsync) throw err;
    return { ok: false, errno: errnoOf(err) };
  }
}

/** inspect(), made again until the storage has what it needs. */
export async function inspectAsync(b: NinePBackend, r: InspectRequest): Promise<InspectResult> {
  for (;;) {
    try {
      return inspect(b, r);
    } catch (err) {
      if (!(err instanceof NeedsAsync)) throw err;
      await err.ready;
    }
  }
}
