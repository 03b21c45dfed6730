// Turn a small declarative initramfs description into cpio entries.
//
// The kernel's unpacker does not create missing parent directories, so we
// emit every parent (explicitly specified or implicit, mode 0755) before
// anything inside it. File contents are read from the host at build time.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CpioError, validateCpioPath, type CpioEntry } from '../../src/core/cpio.js';

export type SpecType = 'file' | 'dir' | 'symlink' | 'char' | 'block';

export interface SpecItem {
  /** Path inside the rootfs; a leading '/' is accepted and stripped. */
  readonly path: string;
  readonly type: SpecType;
  readonly mode: number;
  /** Host file providing the contents of a 'file' (relative to baseDir). */
  readonly source?: string;
  readonly target?: string;
  readonly major?: number;
  readonly minor?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface FromSpecOptions {
  /** Directory that relative `source` paths are resolved against (default: cwd). */
  readonly baseDir?: string;
  /** mtime for every entry (default 0, for reproducible archives). */
  readonly mtime?: number;
  /** Mode of implicitly created parent directories (default 0o755). */
  readonly implicitDirMode?: number;
}

const TYPES: readonly SpecType[] = ['file', 'dir', 'symlink', 'char', 'block'];

function normalize(path: string): string {
  const p = path.replace(/^\/+/, '');
  validateCpioPath(p);
  return p;
}

function parents(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

function readSource(item: SpecItem, path: string, baseDir: string): Uint8Array {
  if (item.source === undefined)
    throw new CpioError(`initramfs spec: file "${path}" has no "source"`);
  const host = isAbsolute(item.source) ? item.source : resolve(baseDir, item.source);
  try {
    return new Uint8Array(readFileSync(host));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new CpioError(`initramfs spec: cannot read host file "${host}" for "${path}" (${code})`);
  }
}

function toEntry(item: SpecItem, path: string, opts: Required<FromSpecOptions>): CpioEntry {
  const common = {
    path,
    mode: item.mode,
    uid: item.uid ?? 0,
    gid: item.gid ?? 0,
    mtime: opts.mtime,
  };
  switch (item.type) {
    case 'file':
      return { ...common, type: 'file', data: readSource(item, path, opts.baseDir) };
    case 'dir':
      return { ...common, type: 'dir' };
    case 'symlink':
      if (item.target === undefined)
        throw new CpioError(`initramfs spec: symlink "${path}" has no "target"`);
      return { ...common, type: 'symlink', target: item.target };
    case 'char':
    case 'block':
      if (item.major === undefined || item.minor === undefined) {
        throw new CpioError(`initramfs spec: device "${path}" needs "major" and "minor"`);
      }
      return { ...common, type: item.type, major: item.major, minor: item.minor };
  }
}

/** Build archive entries, parents first, in spec order otherwise. */
export function entriesFromSpec(
  items: readonly SpecItem[],
  options: FromSpecOptions = {},
): CpioEntry[] {
  const opts: Required<FromSpecOptions> = {
    baseDir: options.baseDir ?? process.cwd(),
    mtime: options.mtime ?? 0,
    implicitDirMode: options.implicitDirMode ?? 0o755,
  };
  const byPath = new Map<string, SpecItem>();
  for (const item of items) {
    const p = normalize(item.path);
    if (byPath.has(p)) throw new CpioError(`initramfs spec: "${p}" is listed twice`);
    byPath.set(p, item);
  }
  const out: CpioEntry[] = [];
  const emitted = new Set<string>();
  const emit = (p: string): void => {
    if (emitted.has(p)) return;
    for (const parent of parents(p)) {
      const explicit = byPath.get(parent);
      if (explicit !== undefined && explicit.type !== 'dir') {
        throw new CpioError(
          `initramfs spec: "${parent}" is a ${explicit.type} but "${p}" is inside it`,
        );
      }
      if (emitted.has(parent)) continue;
      out.push(
        explicit !== undefined
          ? toEntry(explicit, parent, opts)
          : {
              type: 'dir',
              path: parent,
              mode: opts.implicitDirMode,
              uid: 0,
              gid: 0,
              mtime: opts.mtime,
            },
      );
      emitted.add(parent);
    }
    out.push(toEntry(byPath.get(p) as SpecItem, p, opts));
    emitted.add(p);
  };
  for (const p of byPath.keys()) emit(p);
  return out;
}

function optNumber(o: Record<string, unknown>, k: string, i: number): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new CpioError(`initramfs spec: [${i}].${k} must be a non-negative integer`);
  }
  return v;
}

function optString(o: Record<string, unknown>, k: string, i: number): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CpioError(`initramfs spec: [${i}].${k} must be a string`);
  return v;
}

/**
 * Validate untrusted JSON as a spec. `mode` may be a number or an octal
 * string such as "0755" (JSON has no octal literals).
 */
export function parseSpec(json: unknown): SpecItem[] {
  if (!Array.isArray(json)) throw new CpioError('initramfs spec: expected an array');
  return json.map((raw: unknown, i: number): SpecItem => {
    if (typeof raw !== 'object' || raw === null)
      throw new CpioError(`initramfs spec: [${i}] must be an object`);
    const o = raw as Record<string, unknown>;
    const path = optString(o, 'path', i);
    if (path === undefined) throw new CpioError(`initramfs spec: [${i}].path is required`);
    const type = o['type'];
    if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
      throw new CpioError(`initramfs spec: [${i}].type must be one of ${TYPES.join(', ')}`);
    }
    const rawMode = o['mode'];
    const mode =
      typeof rawMode === 'string' && /^0?[0-7]{1,4}$/.test(rawMode)
        ? parseInt(rawMode, 8)
        : rawMode;
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new CpioError(`initramfs spec: [${i}].mode must be permission bits (0..0o7777)`);
    }
    // Optional fields are only set when present (exactOptionalPropertyTypes).
    const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> =>
      (v === undefined ? {} : { [k]: v }) as Partial<Record<K, V>>;
    return {
      path,
      type: type as SpecType,
      mode,
      ...opt('source', optString(o, 'source', i)),
      ...opt('target', optString(o, 'target', i)),
      ...opt('major', optNumber(o, 'major', i)),
      ...opt('minor', optNumber(o, 'minor', i)),
      ...opt('uid', optNumber(o, 'uid', i)),
      ...opt('gid', optNumber(o, 'gid', i)),
    };
  });
}
