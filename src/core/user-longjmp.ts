// setjmp/longjmp in user programs: the host's half (docs/setjmp.md).
//
// clang lowers setjmp in the function that calls it (wasmlinux-cc passes
// -mllvm -enable-emscripten-sjlj): that function makes its other calls
// through env.invoke_<sig>(index, args…), which wasmlinux-cc then turns
// into functions of the program (tools/wasm/invokes.ts), each a try block
// around the call. longjmp (musl's src/setjmp/wasm32/) throws through
// linux.longjmp: an exception with the tag the program imports as
// linux.longjmp_tag, which crosses the wasm frames above to the nearest
// invoke; the function then finds out from memory whether the jump is for
// one of its own setjmp calls (and if so takes back its stack pointer).

import { isUserInvoke, USER_LONGJMP, USER_LONGJMP_TAG } from './abi.js';

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

/** null for an import that is not setjmp's; a reason for one the host cannot serve. */
export function classifyImport(
  imp: WebAssembly.ModuleImportDescriptor,
): 'longjmp' | 'tag' | string | null {
  const { kind, module, name } = imp;
  if (module === USER_LONGJMP.module && name === USER_LONGJMP.name && kind === 'function') {
    return 'longjmp';
  }
  // Not in the JS API's types yet, but what engines report for a tag.
  if (
    module === USER_LONGJMP_TAG.module &&
    name === USER_LONGJMP_TAG.name &&
    String(kind) === 'tag'
  ) {
    return 'tag';
  }
  if (isUserInvoke(module, name)) {
    return `calls through ${module}.${name} (link it with wasmlinux-cc, which makes the invokes)`;
  }
  return null;
}

/** linux.longjmp and linux.longjmp_tag, for any program (an import it does not make is ignored). */
export const LONGJMP_IMPORTS: Readonly<Record<string, unknown>> = {
  [USER_LONGJMP.name]: (): never => {
    throw new WebAssembly.Exception(LONGJMP_TAG, []);
  },
  [USER_LONGJMP_TAG.name]: LONGJMP_TAG,
};
