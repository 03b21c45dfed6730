// The invokes wasmlinux-cc adds to a program that calls setjmp
// (tools/wasm/invokes.ts): each env.invoke_<sig>(index, args…) import
// becomes a function of the program that calls its table at index with
// the arguments and returns the result; a longjmp thrown inside (the
// host's linux.longjmp) comes back as a return, and anything else thrown
// goes on through. And the host's check of what a program imports.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyImport, isLongjmp, LONGJMP_IMPORTS } from '../../src/core/user-longjmp.js';
import { moduleBytes, name, section, SECTION, vec } from '../../src/core/wasm-emit.js';
import { inlineInvokes } from '../../tools/wasm/invokes.js';

const I32 = 0x7f;
const I64 = 0x7e;

/**
 * A program whose run(a, b) calls table slot 1, m.f (JS), through
 * env.invoke_iii, and whose run64(a, b) calls slot 2, m.g, through
 * env.invoke_jij: what clang makes of calls in a setjmp caller.
 */
function program(): Uint8Array<ArrayBuffer> {
  return moduleBytes([
    section(
      SECTION.type,
      vec([
        [0x60, 3, I32, I32, I32, 1, I32], // 0: invoke_iii
        [0x60, 2, I32, I32, 1, I32], // 1: f, run
        [0x60, 3, I32, I32, I64, 1, I64], // 2: invoke_jij
        [0x60, 2, I32, I64, 1, I64], // 3: g, run64
      ]),
    ),
    section(
      SECTION.import,
      vec([
        [...name('env'), ...name('invoke_iii'), 0x00, 0],
        [...name('m'), ...name('f'), 0x00, 1],
        [...name('env'), ...name('invoke_jij'), 0x00, 2],
        [...name('m'), ...name('g'), 0x00, 3],
      ]),
    ),
    section(SECTION.function, vec([[1], [3]])),
    section(SECTION.table, vec([[0x70, 0x00, 3]])), // a table of 3 functions
    section(
      SECTION.export,
      vec([
        [...name('run'), 0x00, 4],
        [...name('run64'), 0x00, 5],
      ]),
    ),
    section(SECTION.element, vec([[0x00, 0x41, 1, 0x0b, 2, 1, 3]])), // slots 1, 2: f, g
    section(
      SECTION.code,
      vec([
        [10, 0, 0x41, 1, 0x20, 0, 0x20, 1, 0x10, 0, 0x0b], // invoke_iii(1, a, b)
        [10, 0, 0x41, 2, 0x20, 0, 0x20, 1, 0x10, 2, 0x0b], // invoke_jij(2, a, b)
      ]),
    ),
  ]);
}

describe('invokes made functions of the program', () => {
  test('call through the table, catch only a longjmp', () => {
    const out = inlineInvokes(program(), true);
    assert.equal(out.invokes, 2);
    const module = new WebAssembly.Module(out.bytes);
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
    assert.deepEqual(imports.sort(), ['linux.longjmp_tag', 'm.f', 'm.g']);
    let mode: 'return' | 'jump' | 'error' = 'return';
    const longjmp = LONGJMP_IMPORTS['longjmp'] as () => never;
    const f = (a: number, b: number): number => {
      if (mode === 'jump') longjmp();
      if (mode === 'error') throw new TypeError('not a jump');
      return a * 10 + b;
    };
    const g = (a: number, b: bigint): bigint => BigInt(a) + b;
    const inst = new WebAssembly.Instance(module, {
      m: { f, g },
      linux: LONGJMP_IMPORTS as WebAssembly.ModuleImports,
    });
    const run = inst.exports['run'] as (a: number, b: number) => number;
    const run64 = inst.exports['run64'] as (a: number, b: bigint) => bigint;
    assert.equal(run(4, 2), 42);
    assert.equal(run64(1, 41n), 42n);
    mode = 'jump';
    assert.equal(run(4, 2), 0, 'a jump comes back as a return');
    mode = 'error';
    assert.throws(() => run(4, 2), TypeError);
    let thrown: unknown;
    try {
      longjmp();
    } catch (err) {
      thrown = err;
    }
    assert.ok(isLongjmp(thrown));
    assert.ok(!isLongjmp(new Error('longjmp')));
  });

  test('a program without invokes is left as it is', () => {
    const bytes = moduleBytes([section(SECTION.type, vec([[0x60, 0, 0]]))]);
    assert.equal(inlineInvokes(bytes, false).bytes, bytes);
  });
});

describe("the host's check of a program's imports", () => {
  test('serves longjmp and its tag, refuses invokes with a reason', () => {
    const fn = (module: string, n: string): WebAssembly.ModuleImportDescriptor => ({
      module,
      name: n,
      kind: 'function',
    });
    assert.equal(classifyImport(fn('linux', 'longjmp')), 'longjmp');
    const tag = { module: 'linux', name: 'longjmp_tag', kind: 'tag' };
    assert.equal(classifyImport(tag as unknown as WebAssembly.ModuleImportDescriptor), 'tag');
    assert.match(String(classifyImport(fn('env', 'invoke_vi'))), /link it with wasmlinux-cc/);
    assert.equal(classifyImport(fn('env', 'open')), null);
  });
});
