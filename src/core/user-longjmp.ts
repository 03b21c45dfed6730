// setjmp/longjmp in user programs: the host's half (docs/setjmp.md).
//
// clang lowers setjmp in the function that calls it (wasmlinux-cc passes
// -mllvm -enable-emscripten-sjlj): that function makes its other calls
// through imported env.invoke_<sig>(index, args…), and longjmp
// (musl's src/setjmp/wasm32/) throws through linux.longjmp. The throw
// crosses the wasm frames above to the nearest invoke, which catches it and
// returns; the function then finds out from memory whether the jump is for
// one of its own setjmp calls (and if so takes back its stack pointer).
// The program itself has no try blocks: binaryen's Asyncify (fork, vfork)
// cannot instrument functions with them. Its invokes live in a small
// module the host makes here, which can: through its calls Asyncify can
// unwind and rewind, since an invoke only calls again what it called. It
// calls through the program's function table, which the program imports
// (wasmlinux-cc links with --import-table) so that both can be given the
// same one before either exists.

import { USER_INVOKE, USER_LONGJMP, USER_TABLE } from './abi.js';
import { moduleBytes, name, section, SECTION, uleb, vec } from './wasm-emit.js';

/**
 * What longjmp throws: an exception with this tag, which the invokes catch
 * and nothing else thrown through user code (traps, exec, exit) has.
 */
const LONGJMP_TAG = new WebAssembly.Tag({ parameters: [] });

/** Whether err is a jump in flight. */
export function isLongjmp(err: unknown): boolean {
  return err instanceof WebAssembly.Exception && err.is(LONGJMP_TAG);
}

/** What an uncaught jump says in the kernel log. */
export const LONGJMP_UNCAUGHT = 'longjmp to a setjmp that is no longer on the stack';

/** How a program uses setjmp/longjmp, read from its imports when execve checks it. */
export interface LongjmpUse {
  /** The env.invoke_* imports, by name. */
  readonly invokes: readonly string[];
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

/** Whether imp is the program's function table. */
export function isTableImport(imp: WebAssembly.ModuleImportDescriptor): boolean {
  return imp.kind === 'table' && imp.module === USER_TABLE.module && imp.name === USER_TABLE.name;
}

const VALTYPE: Readonly<Record<string, number>> = { i: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
/** The constant an invoke returns when the call it made was jumped out of (ignored). */
const ZERO: Readonly<Record<string, number[]>> = {
  v: [],
  i: [0x41, 0],
  j: [0x42, 0],
  f: [0x43, 0, 0, 0, 0],
  d: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
};

/**
 * The module that serves these invokes. Imports t.table (the program's)
 * and t.longjmp (the tag); each invoke_<r><p…>(index, p…) is
 *
 *   try (result r)
 *     (call_indirect (type (p…) -> r) (local.get 1) … (local.get 0))
 *   catch $longjmp
 *     (r.const 0)
 *   end
 *
 * (the exception-handling proposal's first encoding, which every engine
 * we run on has).
 */
export function invokeModuleBytes(invokes: readonly string[]): Uint8Array<ArrayBuffer> {
  const types: number[][] = [[0x60, 0, 0]]; // 0: the tag's, () -> ()
  const funcs: number[][] = [];
  const exports: number[][] = [];
  const bodies: number[][] = [];
  invokes.forEach((invoke, i) => {
    if (!INVOKE_NAME.test(invoke)) throw new Error(`unsupported call signature ${invoke}`);
    const letters = invoke.slice(USER_INVOKE.prefix.length);
    const result = letters[0] ?? 'v';
    const params = Array.from(letters.slice(1), (c) => VALTYPE[c] ?? 0x7f);
    const results = result === 'v' ? [] : [VALTYPE[result] ?? 0x7f];
    const callee = types.length;
    types.push([0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results]);
    types.push([
      0x60,
      ...uleb(params.length + 1),
      0x7f,
      ...params,
      ...uleb(results.length),
      ...results,
    ]);
    funcs.push(uleb(callee + 1));
    exports.push([...name(invoke), 0x00, ...uleb(i)]);
    const code = [
      0x06,
      results[0] ?? 0x40, // try, with the invoke's result
      ...params.flatMap((_, p) => [0x20, ...uleb(p + 1)]),
      0x20,
      0,
      0x11,
      ...uleb(callee),
      0, // call_indirect through table 0
      0x07,
      0, // catch the tag
      ...(ZERO[result] ?? []),
      0x0b, // end try
      0x0b, // end function
    ];
    bodies.push([...uleb(code.length + 1), 0, ...code]); // no locals
  });
  return moduleBytes([
    section(SECTION.type, vec(types)),
    section(
      SECTION.import,
      vec([
        [...name('t'), ...name('table'), 0x01, 0x70, 0x00, 0x00], // funcref, at least 0
        [...name('t'), ...name('longjmp'), 0x04, 0x00, 0x00], // a tag of type 0
      ]),
    ),
    section(SECTION.function, vec(funcs)),
    section(SECTION.export, vec(exports)),
    section(SECTION.code, vec(bodies)),
  ]);
}

/** Compiled invoke modules, by the names they export (one set per program, mostly). */
const invokeModules = new Map<string, WebAssembly.Module>();

/** The env.invoke_* functions for one instance of a program, calling through its table. */
export function invokeImports(
  use: LongjmpUse,
  table: WebAssembly.Table,
): Record<string, WebAssembly.ExportValue> {
  if (use.invokes.length === 0) return {};
  const key = use.invokes.join(',');
  let module = invokeModules.get(key);
  if (!module) {
    module = new WebAssembly.Module(invokeModuleBytes(use.invokes));
    invokeModules.set(key, module);
  }
  // TypeScript's lib does not list tags among import values yet.
  const longjmp = LONGJMP_TAG as unknown as WebAssembly.ImportValue;
  return new WebAssembly.Instance(module, { t: { table, longjmp } }).exports;
}

/** linux.longjmp: the jump itself. */
export function throwLongjmp(): never {
  throw new WebAssembly.Exception(LONGJMP_TAG, []);
}
