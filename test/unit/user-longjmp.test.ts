// The invoke module the host makes for a setjmp caller: each
// env.invoke_<sig>(index, args…) calls the program's table at index with
// the arguments and returns its result; a longjmp thrown inside comes back
// as a return, and anything else thrown goes on through.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkUserImage } from '../../src/core/user-module.js';
import {
  invokeImports,
  invokeModuleBytes,
  isLongjmp,
  throwLongjmp,
} from '../../src/core/user-longjmp.js';
import { moduleBytes, name, section, SECTION, uleb, vec } from '../../src/core/wasm-emit.js';

type Fn = (...args: never[]) => unknown;

/**
 * Wasm functions that are JS functions: a module importing m.f<i> of the
 * given types and exporting each again, so that they can go in a table.
 */
function wasmFunctions(types: number[][], fns: Fn[]): WebAssembly.ExportValue[] {
  const bytes = moduleBytes([
    section(SECTION.type, vec(types)),
    section(SECTION.import, vec(fns.map((_, i) => [...name('m'), ...name(`f${i}`), 0x00, i]))),
    section(SECTION.export, vec(fns.map((_, i) => [...name(`f${i}`), 0x00, ...uleb(i)]))),
  ]);
  const m: Record<string, Fn> = {};
  fns.forEach((f, i) => (m[`f${i}`] = f));
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m });
  return fns.map((_, i) => inst.exports[`f${i}`] as WebAssembly.ExportValue);
}

const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;

describe('invoke module', () => {
  test('is valid for every result and parameter letter', () => {
    const names = ['invoke_v', 'invoke_vi', 'invoke_ii', 'invoke_jij', 'invoke_ff', 'invoke_ddd'];
    assert.ok(WebAssembly.validate(invokeModuleBytes(names)));
    assert.throws(() => invokeModuleBytes(['invoke_x']), /unsupported call signature/);
  });

  test('calls through the table, catches only a longjmp', () => {
    let jump = false;
    const fns = wasmFunctions(
      [
        [0x60, 2, I32, I32, 1, I32], // (i32, i32) -> i32
        [0x60, 2, I32, I64, 1, I64], // (i32, i64) -> i64
        [0x60, 1, F64, 1, F64], // (f64) -> f64
      ],
      [
        (a: number, b: number) => (jump ? throwLongjmp() : a * 10 + b),
        (a: number, b: bigint) => BigInt(a) + b,
        (x: number) => {
          if (jump) throw new TypeError('not a jump');
          return x / 2;
        },
      ],
    );
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: 3 });
    fns.forEach((f, i) => table.set(i, f as never));
    const use = { invokes: ['invoke_dd', 'invoke_iii', 'invoke_jij'], throws: true };
    const inv = invokeImports(use, table) as Record<string, Fn>;
    const call = (n: string, ...a: unknown[]): unknown =>
      (inv[n] as (...x: unknown[]) => unknown)(...a);
    assert.equal(call('invoke_iii', 0, 4, 2), 42);
    assert.equal(call('invoke_jij', 1, 1, 41n), 42n);
    assert.equal(call('invoke_dd', 2, 84), 42);
    jump = true;
    assert.equal(call('invoke_iii', 0, 4, 2), 0, 'a jump comes back as a return');
    assert.throws(() => call('invoke_dd', 2, 84), TypeError);
    assert.throws(() => call('invoke_iii', 7, 0, 0), WebAssembly.RuntimeError, 'out of the table');
    let thrown: unknown;
    try {
      throwLongjmp();
    } catch (err) {
      thrown = err;
    }
    assert.ok(isLongjmp(thrown));
    assert.ok(!isLongjmp(new Error('longjmp')));
  });
});

describe('a program that calls setjmp', () => {
  /** A program importing memory, maybe a table, and invoke_vi. */
  function program(table: number[] | null): Uint8Array<ArrayBuffer> {
    const imports = [
      [...name('env'), ...name('memory'), 0x02, 0x00, 0x01],
      [...name('env'), ...name('invoke_vi'), 0x00, 0],
      ...(table ? [[...name('env'), ...name('__indirect_function_table'), 0x01, ...table]] : []),
    ];
    return moduleBytes([
      section(
        SECTION.type,
        vec([
          [0x60, 2, I32, I32, 0],
          [0x60, 0, 0],
        ]),
      ),
      section(SECTION.import, vec(imports)),
      section(SECTION.function, vec([[1]])),
      section(SECTION.export, vec([[...name('_start'), 0x00, 1]])),
      section(SECTION.code, vec([[2, 0, 0x0b]])),
    ]);
  }

  test('must import its table, of functions; the host learns its size', () => {
    const ok = checkUserImage(program([0x70, 0x01, 5, 9]));
    assert.ok(typeof ok !== 'string', String(ok));
    assert.deepEqual(ok.linkage, {
      table: { initial: 5, maximum: 9 },
      invokes: ['invoke_vi'],
      throws: false,
    });
    assert.match(
      String(checkUserImage(program(null))),
      /does not import env.__indirect_function_table/,
    );
    assert.match(String(checkUserImage(program([0x6f, 0x00, 1]))), /not a table of functions/);
  });
});
