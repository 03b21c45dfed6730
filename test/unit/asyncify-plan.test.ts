// The call graph (tools/wasm/calls.ts) and the Asyncify plan for vfork
// (tools/wasm/asyncify-list.ts), on modules assembled from text by binaryen.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import binaryen from 'binaryen';
import { planAsyncify } from '../../tools/wasm/asyncify-list.js';
import { callGraph } from '../../tools/wasm/calls.js';
import { readModule, WasmFormatError } from '../../src/core/wasm/reader.js';

/** Assemble WAT, keeping function names (the plan works by name). */
function assemble(wat: string): Uint8Array {
  const mod = binaryen.parseText(wat);
  // What clang emits for the guest; not Features.All, whose newer encodings
  // (e.g. of imports) our reader rightly refuses.
  const F = binaryen.Features;
  mod.setFeatures(
    F.MVP |
      F.Atomics |
      F.BulkMemory |
      F.BulkMemoryOpt |
      F.SIMD128 |
      F.ReferenceTypes |
      F.SignExt |
      F.MutableGlobals |
      F.NontrappingFPToInt |
      F.Multivalue,
  );
  binaryen.setDebugInfo(true);
  try {
    assert.ok(mod.validate(), 'the test module must be valid');
    return mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

// The shape of BusyBox: _start → run (the loop around main, calls
// stop_unwind) → main → dispatch → call_indirect → applet → vfork.
// sorter calls a comparison through a pointer of another type.
const PROGRAM = `
(module
  (type $applet (func (param i32) (result i32)))
  (type $cmp (func (param i32 i32) (result i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "linux" "syscall" (func $syscall (param i32) (result i32)))
  (memory 1 1)
  (table 4 funcref)
  (elem (i32.const 1) $applet $quiet $compare)
  (func $vfork (result i32) (call $start_unwind (i32.const 0)) (i32.const 0))
  (func $applet (type $applet) (param i32) (result i32) (call $vfork))
  (func $quiet (type $applet) (param i32) (result i32) (call $syscall (local.get 0)))
  (func $compare (type $cmp) (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func $dispatch (param i32) (result i32)
    (call_indirect (type $applet) (i32.const 7) (local.get 0)))
  (func $sorter (result i32)
    (call_indirect (type $cmp) (i32.const 1) (i32.const 2) (i32.const 3)))
  (func $main (result i32) (drop (call $sorter)) (call $dispatch (i32.const 1)))
  (func $run (result i32) (local i32)
    (local.set 0 (call $main)) (call $stop_unwind) (local.get 0))
  (func $_start (export "_start") (drop (call $run)))
)`;

describe('call graph', () => {
  test('direct calls, indirect call types and address-taken functions', () => {
    const mod = readModule(assemble(PROGRAM));
    const g = callGraph(mod);
    assert.equal(g.importedFunctions, 3);
    // Defined functions in order: vfork 3, applet 4, quiet 5, compare 6,
    // dispatch 7, sorter 8, main 9, run 10, _start 11.
    assert.deepEqual(g.direct[0], [0]);
    assert.deepEqual(g.direct[6], [8, 7]);
    assert.deepEqual(g.indirect[4], [0]);
    assert.deepEqual(g.indirect[5], [1]);
    assert.deepEqual([...g.addressTaken].sort(), [4, 5, 6]);
  });

  test('walks over SIMD, atomics, bulk memory, br_table, ref.func and typed select', () => {
    const mod = readModule(
      assemble(`
(module
  (memory 1 1 shared)
  (table 2 funcref)
  (elem declare func $target)
  (func $target)
  (func $busy (param i32) (result i32)
    (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
      (v128.const i32x4 1 2 3 4) (v128.load offset=16 (local.get 0))))
    (drop (i32x4.extract_lane 3 (v128.const i64x2 5 6)))
    (drop (memory.atomic.notify offset=8 (local.get 0) (i32.const 1)))
    (atomic.fence)
    (memory.fill (local.get 0) (i32.const 0) (i32.const 4))
    (drop (ref.func $target))
    (drop (select (result i32) (i32.const 1) (i32.const 2) (local.get 0)))
    (block $a (block $b (br_table $a $b $a (local.get 0))))
    (drop (i64.const -123456789012))
    (drop (f64.const 1.5))
    (call $target)
    (i32.const 0))
  (export "busy" (func $busy))
)`),
    );
    const g = callGraph(mod);
    assert.deepEqual(g.direct[1], [0]);
    assert.ok(g.addressTaken.has(0));
  });

  test('an unknown opcode is a format error, not a guess', () => {
    const bytes = assemble('(module (func $f (nop)) (export "f" (func $f)))');
    const mod = readModule(bytes);
    const body = mod.code[0];
    assert.ok(body);
    const copy = new Uint8Array(bytes);
    copy[body.code.start] = 0xe0; // not an opcode
    assert.throws(() => callGraph(readModule(copy)), WasmFormatError);
  });
});

describe('Asyncify plan for vfork', () => {
  test('finds the indirect call on the way, and only that one', () => {
    const plan = planAsyncify(readModule(assemble(PROGRAM)), 'vfork');
    assert.equal(plan.problem, null);
    // dispatch's call_indirect can reach applet; sorter's (another type)
    // cannot, and run/_start are on the far side of the loop around main.
    assert.deepEqual(plan.addList, ['dispatch']);
    // vfork, applet, dispatch, main
    assert.equal(plan.reaching, 4);
    assert.equal(plan.defined, 9);
  });

  test('indirect calls in trusted functions are left out', () => {
    const plan = planAsyncify(readModule(assemble(PROGRAM)), 'vfork', {
      trustedIndirect: new Set(['dispatch']),
    });
    assert.deepEqual(plan.addList, []);
    assert.equal(plan.reaching, 2); // vfork, applet
  });

  test('a program without vfork needs nothing', () => {
    const plan = planAsyncify(readModule(assemble(PROGRAM)), 'no_such_function');
    assert.deepEqual(plan.addList, []);
    assert.equal(plan.reaching, 0);
    assert.equal(plan.problem, null);
  });

  test("a setjmp caller's calls through env.invoke_* count as indirect calls of their type", () => {
    // guarded calls vfork-reaching applet through invoke_ii (type i32 -> i32
    // once the index is dropped); checked calls compare through invoke_iii,
    // which cannot reach vfork.
    const plan = planAsyncify(
      readModule(
        assemble(`
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "env" "invoke_ii" (func $invoke_ii (param i32 i32) (result i32)))
  (import "env" "invoke_iii" (func $invoke_iii (param i32 i32 i32) (result i32)))
  (memory 1 1)
  (table 4 funcref)
  (elem (i32.const 1) $applet $compare)
  (func $vfork (result i32) (call $start_unwind (i32.const 0)) (i32.const 0))
  (func $applet (param i32) (result i32) (call $vfork))
  (func $compare (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func $guarded (result i32) (call $invoke_ii (i32.const 1) (i32.const 0)))
  (func $checked (result i32) (call $invoke_iii (i32.const 2) (i32.const 0) (i32.const 1)))
  (func $main (result i32) (drop (call $checked)) (call $guarded))
  (func $run (result i32) (local i32)
    (local.set 0 (call $main)) (call $stop_unwind) (local.get 0))
  (func $_start (export "_start") (drop (call $run)))
)`),
      ),
      'vfork',
    );
    assert.equal(plan.problem, null);
    assert.deepEqual(plan.addList, ['guarded']);
    assert.deepEqual(plan.unwindingImports, ['env.invoke_ii']);
    // vfork, applet, guarded, main
    assert.equal(plan.reaching, 4);
  });

  test('without function names the plan says it cannot name anything', () => {
    const mod = binaryen.parseText(PROGRAM);
    const bytes = mod.emitBinary();
    mod.dispose();
    const plan = planAsyncify(readModule(bytes), 'vfork');
    assert.match(plan.problem ?? '', /no function names/);
  });
});
