// The last step of linking a program that calls setjmp (docs/setjmp.md):
// the env.invoke_<sig>(index, args…) imports that clang's lowering made the
// setjmp callers call become functions of the program itself,
//
//   try (result r)
//     (call_indirect (type (args…) -> r) (local.get 1) … (local.get 0))
//   catch $longjmp
//     (r.const 0)
//   end
//
// where $longjmp is the tag linux.longjmp throws, imported as
// linux.longjmp_tag. This runs after Asyncify (fork, vfork), which cannot
// instrument functions with try blocks; it need not instrument these: on
// an unwind an invoke only returns what its callee returned, and on the
// rewind it calls the same callee again. In the program they cost a call;
// made by the host as a module of their own they cost a JS-visible table
// and a second instance on every exec.

import binaryen from 'binaryen';
import { isUserInvoke, USER_LONGJMP_TAG } from '../../src/core/abi.js';

export interface InlinedInvokes {
  bytes: Uint8Array<ArrayBuffer>;
  /** How many invoke imports became functions. */
  invokes: number;
}

function zero(mod: binaryen.Module, type: binaryen.Type): binaryen.ExpressionRef {
  if (type === binaryen.none) return mod.nop();
  if (type === binaryen.i32) return mod.i32.const(0);
  if (type === binaryen.i64) return mod.i64.const(0n);
  if (type === binaryen.f32) return mod.f32.const(0);
  if (type === binaryen.f64) return mod.f64.const(0);
  throw new Error('invoke with an unsupported result type');
}

/**
 * Turn the program's env.invoke_* imports into its own functions; keep
 * the name section when keepNames. Returns the bytes unchanged if it has none.
 */
export function inlineInvokes(bytes: Uint8Array<ArrayBuffer>, keepNames: boolean): InlinedInvokes {
  const mod = binaryen.readBinary(bytes);
  try {
    const invokes: binaryen.FunctionInfo[] = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (info.module !== null && info.base !== null && isUserInvoke(info.module, info.base)) {
        invokes.push(info);
      }
    }
    if (invokes.length === 0) return { bytes, invokes: 0 };
    if (mod.getNumTables() !== 1) {
      throw new Error(`calls through env.invoke_* but has ${mod.getNumTables()} tables, not 1`);
    }
    const table = binaryen.getTableInfo(mod.getTableByIndex(0)).name;
    mod.setFeatures(mod.getFeatures() | binaryen.Features.ExceptionHandling);
    const tag = '__wasm_longjmp_tag';
    mod.addTagImport(
      tag,
      USER_LONGJMP_TAG.module,
      USER_LONGJMP_TAG.name,
      binaryen.none,
      binaryen.none,
    );
    for (const f of invokes) {
      const params = binaryen.expandType(f.params);
      if (params[0] !== binaryen.i32) throw new Error(`${f.base ?? f.name}: no table index`);
      const args = params.slice(1).map((t, i) => mod.local.get(i + 1, t));
      const call = mod.call_indirect(
        table,
        mod.local.get(0, binaryen.i32),
        args,
        binaryen.createType(params.slice(1)),
        f.results,
      );
      // Calls refer to functions by name: the new one takes the import's place.
      mod.removeFunction(f.name);
      mod.addFunction(
        f.name,
        f.params,
        f.results,
        [],
        mod.try('', call, [tag], [zero(mod, f.results)]),
      );
    }
    if (!mod.validate()) throw new Error('the program with its invokes does not validate');
    binaryen.setDebugInfo(keepNames);
    try {
      return { bytes: new Uint8Array(mod.emitBinary()), invokes: invokes.length };
    } finally {
      binaryen.setDebugInfo(false);
    }
  } finally {
    mod.dispose();
  }
}
