// Checking a user program before execve() passes its point of no return:
// it must be a valid module that imports only what we provide (memory, the
// system call, and longjmp's throw and tag) and exports _start. Anything
// else is an exec-format error, never a host exception.

import { USER_ENTRY, USER_MEMORY, USER_SYSCALL } from './abi.js';
import { classifyImport } from './user-longjmp.js';
import { readImports } from './wasm/reader.js';

export interface UserMemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

export interface UserImage {
  module: WebAssembly.Module;
  memory: UserMemoryLimits;
}

/** The limits of the memory import, read from the import section (the JS API does not say). */
function memoryImportLimits(bytes: Uint8Array): UserMemoryLimits | null {
  for (const imp of readImports(bytes)) {
    if (imp.desc.kind !== 'memory') continue;
    if (imp.module !== USER_MEMORY.module || imp.name !== USER_MEMORY.name) continue;
    const { initial, maximum, shared } = imp.desc.limits;
    return { initial, maximum: maximum ?? undefined, shared };
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
