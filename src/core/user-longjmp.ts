// setjmp/longjmp in user programs: the host's half (docs/setjmp.md).
//
// clang lowers setjmp in the function that calls it (wasmlinux-cc passes
// -mllvm -enable-emscripten-sjlj): that function makes its other calls
// through imported env.invoke_<sig>(index, args…), and longjmp
// (musl's src/setjmp/wasm32/) throws through linux.longjmp. The throw
// crosses the wasm frames above to the nearest invoke, which catches it and
// returns; the function then finds out from memory whether the jump is for
// one of its own setjmp calls. wasm code cannot throw or catch without the
// exception-handling feature, and binaryen's Asyncify (fork, vfork) cannot
// instrument functions with try blocks; through these host calls it can
// unwind and rewind, since an invoke only calls again what it called.

import { USER_INVOKE, USER_LONGJMP, USER_STACK_POINTER, USER_TABLE } from './abi.js';

/**
 * What longjmp throws. Not an Error: nothing else thrown through user code
 * (traps, exec, exit) can be mistaken for it.
 */
export const LONGJMP: unique symbol = Symbol('longjmp');

/** What an uncaught jump says in the kernel log. */
export const LONGJMP_UNCAUGHT = 'longjmp to a setjmp that is no longer on the stack';

/** The instance's parts an invoke needs, known only once it exists. */
export interface InvokeTarget {
  readonly table: WebAssembly.Table;
  readonly sp: WebAssembly.Global;
}

type Invoke = (index: number, ...args: unknown[]) => unknown;

/** How a program uses setjmp/longjmp, read once per module from its imports. */
export interface LongjmpUse {
  /** The env.invoke_* imports, by name, with their result letter. */
  readonly invokes: ReadonlyMap<string, string>;
  /** Whether it imports linux.longjmp (and so can jump out of a signal handler). */
  readonly throws: boolean;
}

const INVOKE_NAME = /^invoke_([vijfd])[ijfd]*$/;

/** null for an import that is neither; a reason for a malformed invoke. */
export function classifyImport(
  imp: WebAssembly.ModuleImportDescriptor,
): 'invoke' | 'longjmp' | string | null {
  if (imp.kind !== 'function') return null;
  if (imp.module === USER_LONGJMP.module && imp.name === USER_LONGJMP.name) return 'longjmp';
  if (imp.module !== USER_INVOKE.module || !imp.name.startsWith(USER_INVOKE.prefix)) return null;
  return INVOKE_NAME.test(imp.name) ? 'invoke' : `unsupported call signature ${imp.name}`;
}

const uses = new WeakMap<WebAssembly.Module, LongjmpUse>();

export function longjmpUse(module: WebAssembly.Module): LongjmpUse {
  let use = uses.get(module);
  if (use) return use;
  const invokes = new Map<string, string>();
  let throws = false;
  for (const imp of WebAssembly.Module.imports(module)) {
    const kind = classifyImport(imp);
    if (kind === 'longjmp') throws = true;
    else if (kind === 'invoke') invokes.set(imp.name, INVOKE_NAME.exec(imp.name)?.[1] ?? 'v');
  }
  use = { invokes, throws };
  uses.set(module, use);
  return use;
}

/** A reason why a program's exports cannot serve its invokes, or null. */
export function checkInvokeExports(module: WebAssembly.Module): string | null {
  if (longjmpUse(module).invokes.size === 0) return null;
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === USER_TABLE && e.kind === 'table'))
    return `calls through ${USER_INVOKE.module}.${USER_INVOKE.prefix}* but exports no ${USER_TABLE}`;
  if (!exports.some((e) => e.name === USER_STACK_POINTER && e.kind === 'global'))
    return `calls through ${USER_INVOKE.module}.${USER_INVOKE.prefix}* but exports no ${USER_STACK_POINTER}`;
  return null;
}

/** The parts of an instance its invokes call through. */
export function invokeTarget(instance: WebAssembly.Instance): InvokeTarget | null {
  const table = instance.exports[USER_TABLE];
  const sp = instance.exports[USER_STACK_POINTER];
  if (!(table instanceof WebAssembly.Table) || !(sp instanceof WebAssembly.Global)) return null;
  return { table, sp };
}

function makeInvoke(result: string, target: () => InvokeTarget): Invoke {
  // What the function sees returned from a call that was jumped out of;
  // it ignores it, but the value must still convert to the result type.
  const none = result === 'j' ? 0n : result === 'v' ? undefined : 0;
  return (index, ...args) => {
    const t = target();
    const f: unknown = t.table.get(index >>> 0);
    if (typeof f !== 'function') throw new WebAssembly.RuntimeError('null function in invoke');
    // The frames the jump crossed skipped their epilogues: the stack
    // pointer is set back to where it was at this call.
    const sp: unknown = t.sp.value;
    try {
      return (f as (...a: unknown[]) => unknown)(...args);
    } catch (err) {
      if (err !== LONGJMP) throw err;
      t.sp.value = sp;
      return none;
    }
  };
}

/** The env.invoke_* functions for one instance of a program. */
export function invokeImports(use: LongjmpUse, target: () => InvokeTarget): Record<string, Invoke> {
  const out: Record<string, Invoke> = {};
  for (const [name, result] of use.invokes) out[name] = makeInvoke(result, target);
  return out;
}

/** linux.longjmp: the jump itself. */
export function throwLongjmp(): never {
  throw LONGJMP;
}
