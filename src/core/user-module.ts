// Checking a user program before execve() passes its point of no return:
// it must be a valid module that imports only what we provide (memory, the
// system call, its function table, and setjmp's calls) and exports _start.
// Anything else is an exec-format error, never a host exception.

import { USER_ENTRY, USER_INVOKE, USER_MEMORY, USER_SYSCALL, USER_TABLE } from './abi.js';
import { classifyImport, isTableImport, type LongjmpUse } from './user-longjmp.js';

export interface UserMemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

/** The size of the function table a program imports (each instance gets its own). */
export interface UserTableLimits {
  initial: number;
  maximum: number | undefined;
}

/**
 * What an instance of a program is given besides its memory, read once
 * from the module (reading imports again for every instance costs) and
 * carried with it to every worker.
 */
export interface UserLinkage extends LongjmpUse {
  /** null: the program has its own table, if any. */
  table: UserTableLimits | null;
}

export interface UserImage {
  module: WebAssembly.Module;
  memory: UserMemoryLimits;
  linkage: UserLinkage;
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

/** The limits of the memory and table imports, read from the import section (the JS API does not say). */
function importLimits(bytes: Uint8Array): {
  memory: UserMemoryLimits | null;
  table: UserTableLimits | null;
} {
  const found: { memory: UserMemoryLimits | null; table: UserTableLimits | null } = {
    memory: null,
    table: null,
  };
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
          const elem = bytes[pos.p++];
          const flags = readLeb(bytes, pos);
          const initial = readLeb(bytes, pos);
          const maximum = flags & 1 ? readLeb(bytes, pos) : undefined;
          if (mod === USER_TABLE.module && name === USER_TABLE.name) {
            // The host makes a table of functions (funcref) for it.
            if (elem !== 0x70) throw new Error(`${name} is not a table of functions`);
            found.table = { initial, maximum };
          }
        } else if (kind === 2) {
          const flags = readLeb(bytes, pos);
          const initial = readLeb(bytes, pos);
          const maximum = flags & 1 ? readLeb(bytes, pos) : undefined;
          if (mod === USER_MEMORY.module && name === USER_MEMORY.name) {
            found.memory = { initial, maximum, shared: (flags & 2) !== 0 };
          }
        } else if (kind === 3) pos.p += 2;
        else throw new Error('bad import kind');
      }
      return found;
    }
    pos.p = end;
  }
  return found;
}

/** Returns the compiled program, or a reason why it cannot be executed. */
export function checkUserImage(bytes: Uint8Array<ArrayBuffer>): UserImage | string {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    return `invalid module: ${err instanceof Error ? err.message : String(err)}`;
  }
  const invokes: string[] = [];
  let throws = false;
  for (const imp of WebAssembly.Module.imports(module)) {
    const isMem =
      imp.kind === 'memory' && imp.module === USER_MEMORY.module && imp.name === USER_MEMORY.name;
    const isSys =
      imp.kind === 'function' &&
      imp.module === USER_SYSCALL.module &&
      imp.name === USER_SYSCALL.name;
    if (isMem || isSys || isTableImport(imp)) continue;
    const lj = classifyImport(imp);
    if (lj === null) return `unknown import ${imp.module}.${imp.name}`;
    if (lj === 'invoke') invokes.push(imp.name);
    else if (lj === 'longjmp') throws = true;
    else return lj;
  }
  const entry = WebAssembly.Module.exports(module).find((e) => e.name === USER_ENTRY);
  if (entry?.kind !== 'function') return `no ${USER_ENTRY} function`;
  let limits: ReturnType<typeof importLimits>;
  try {
    limits = importLimits(bytes);
  } catch (err) {
    return `unreadable import section${err instanceof Error ? `: ${err.message}` : ''}`;
  }
  if (!limits.memory) return `no ${USER_MEMORY.module}.${USER_MEMORY.name} import`;
  if (invokes.length > 0 && !limits.table) {
    return (
      `calls through ${USER_INVOKE.module}.${USER_INVOKE.prefix}* but does not import ` +
      `${USER_TABLE.module}.${USER_TABLE.name}`
    );
  }
  return {
    module,
    memory: limits.memory,
    linkage: { table: limits.table, invokes: invokes.sort(), throws },
  };
}
