// Checking a user program before execve() passes its point of no return:
// it must be a valid module that imports only what we provide (memory, the
// system call, and longjmp's throw and tag) and exports _start. Anything
// else is an exec-format error, never a host exception.

import { USER_ENTRY, USER_MEMORY, USER_SYSCALL } from './abi.js';
import { classifyImport } from './user-longjmp.js';

export interface UserMemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

export interface UserImage {
  module: WebAssembly.Module;
  memory: UserMemoryLimits;
}

function readLeb(bytes: Uint8Array, pos: { p: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos.p++];
    if (b === undefined) throw new Error('truncated');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
    if (shift > 35) throw new Error('bad LEB128');
  }
}

/** The limits of the memory import, read from the import section (the JS API does not say). */
function memoryImportLimits(bytes: Uint8Array): UserMemoryLimits | null {
  const pos = { p: 8 };
  while (pos.p < bytes.length) {
    const id = bytes[pos.p++];
    const size = readLeb(bytes, pos);
    const end = pos.p + size;
    if (id === 2) {
      const count = readLeb(bytes, pos);
      const dec = new TextDecoder();
      for (let i = 0; i < count; i++) {
        const mlen = readLeb(bytes, pos);
        const mod = dec.decode(bytes.subarray(pos.p, pos.p + mlen));
        pos.p += mlen;
        const nlen = readLeb(bytes, pos);
        const name = dec.decode(bytes.subarray(pos.p, pos.p + nlen));
        pos.p += nlen;
        const kind = bytes[pos.p++];
        if (kind === 0) readLeb(bytes, pos);
        else if (kind === 1) {
          pos.p++;
          const flags = readLeb(bytes, pos);
          readLeb(bytes, pos);
          if (flags & 1) readLeb(bytes, pos);
        } else if (kind === 2) {
          const flags = readLeb(bytes, pos);
          const initial = readLeb(bytes, pos);
          const maximum = flags & 1 ? readLeb(bytes, pos) : undefined;
          if (mod === USER_MEMORY.module && name === USER_MEMORY.name) {
            return { initial, maximum, shared: (flags & 2) !== 0 };
          }
        } else if (kind === 3) pos.p += 2;
        else if (kind === 4) {
          pos.p++; // a tag: its attribute, then its type
          readLeb(bytes, pos);
        } else throw new Error('bad import kind');
      }
      return null;
    }
    pos.p = end;
  }
  return null;
}

/** Returns the compiled program, or a reason why it cannot be executed. */
export function checkUserImage(bytes: Uint8Array<ArrayBuffer>): UserImage | string {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    return `invalid module: ${err instanceof Error ? err.message : String(err)}`;
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    const isMem =
      imp.kind === 'memory' && imp.module === USER_MEMORY.module && imp.name === USER_MEMORY.name;
    const isSys =
      imp.kind === 'function' &&
      imp.module === USER_SYSCALL.module &&
      imp.name === USER_SYSCALL.name;
    if (isMem || isSys) continue;
    const lj = classifyImport(imp);
    if (lj === null) return `unknown import ${imp.module}.${imp.name}`;
    if (lj !== 'longjmp' && lj !== 'tag') return lj;
  }
  const entry = WebAssembly.Module.exports(module).find((e) => e.name === USER_ENTRY);
  if (entry?.kind !== 'function') return `no ${USER_ENTRY} function`;
  let memory: UserMemoryLimits | null;
  try {
    memory = memoryImportLimits(bytes);
  } catch {
    return 'unreadable import section';
  }
  if (!memory) return `no ${USER_MEMORY.module}.${USER_MEMORY.name} import`;
  return { module, memory };
}
