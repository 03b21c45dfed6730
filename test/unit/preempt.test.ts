// The preemption checks wasmlinux-cc puts into every loop
// (tools/wasm/preempt.ts), on modules assembled from text by binaryen and
// then run: while the word is not 0, every loop iteration calls the poll
// function (crt1.c's decides what to do, and clears the word).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import binaryen from 'binaryen';
import { USER_PREEMPT_ADDR } from '../../src/core/abi.js';
import { instrumentLoops } from '../../tools/wasm/preempt.js';
import { WasmFormatError } from '../../src/core/wasm/reader.js';

function assemble(wat: string): Uint8Array {
  const mod = binaryen.parseText(wat);
  const F = binaryen.Features;
  mod.setFeatures(F.MVP | F.Atomics | F.BulkMemory | F.SignExt | F.MutableGlobals);
  try {
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

// spin(n) loops n times; nested(n) has a loop inside a loop; the poll
// function counts its calls in a global, and clears the word if $clears.
const PROGRAM = `
(module
  (import "env" "memory" (memory 1 1 shared))
  (global $polls (export "polls") (mut i32) (i32.const 0))
  (global $clears (export "clears") (mut i32) (i32.const 0))
  (func $poll (export "__wasm_preempt")
    (global.set $polls (i32.add (global.get $polls) (i32.const 1)))
    (if (global.get $clears) (then (i32.store (i32.const ${USER_PREEMPT_ADDR}) (i32.const 0)))))
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $sum i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $sum (i32.add (local.get $sum) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))`;

interface Exports {
  polls: WebAssembly.Global;
  clears: WebAssembly.Global;
  spin: (n: number) => number;
  nested: (n: number) => number;
}

async function load(
  bytes: Uint8Array,
  memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }),
): Promise<{ exports: Exports; word: Int32Array; memory: WebAssembly.Memory }> {
  const module = await WebAssembly.compile(new Uint8Array(bytes));
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return {
    exports: instance.exports as unknown as Exports,
    word: new Int32Array(memory.buffer, USER_PREEMPT_ADDR, 1),
    memory,
  };
}

describe('preemption checks in loops', () => {
  test('every loop gets a check; the poll function itself none', () => {
    const r = instrumentLoops(assemble(PROGRAM));
    assert.equal(r.loops, 3);
  });

  test('the loops still compute the same results', async () => {
    const { exports } = await load(instrumentLoops(assemble(PROGRAM)).bytes);
    assert.equal(exports.spin(1000), 1000);
    assert.equal(exports.nested(30), 900);
    assert.equal(exports.polls.value, 0);
  });

  test('a set word makes every iteration of every loop call the poll function', async () => {
    const { exports, word } = await load(instrumentLoops(assemble(PROGRAM)).bytes);
    Atomics.store(word, 0, 7);
    assert.equal(exports.spin(100), 100);
    assert.equal(exports.polls.value, 100);
    // 10 outer iterations, 10 inner ones in each.
    assert.equal(exports.nested(10), 100);
    assert.equal(exports.polls.value, 210);
  });

  test('once the poll function clears the word, the loops go on without calling it', async () => {
    const { exports, word } = await load(instrumentLoops(assemble(PROGRAM)).bytes);
    exports.clears.value = 1;
    Atomics.store(word, 0, 7);
    assert.equal(exports.spin(100), 100);
    assert.equal(exports.polls.value, 1);
    assert.equal(Atomics.load(word, 0), 0);
    Atomics.store(word, 0, 8);
    assert.equal(exports.nested(10), 100);
    assert.equal(exports.polls.value, 2);
  });

  test('without instrumentation nothing polls (the check is what does it)', async () => {
    const { exports, word } = await load(assemble(PROGRAM));
    Atomics.store(word, 0, 1);
    exports.spin(100);
    assert.equal(exports.polls.value, 0);
  });

  test('a module without the poll function is refused', () => {
    const bytes = assemble('(module (func (export "f") (loop $l (br $l))))');
    assert.throws(() => instrumentLoops(bytes), WasmFormatError);
  });
});
