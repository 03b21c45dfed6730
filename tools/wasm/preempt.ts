// Make a program's loops preemptible.
//
// Nothing can interrupt running wasm code, so a guest program computing in
// a loop without system calls would keep its CPU forever and never see a
// signal: not even SIGKILL, nor Ctrl-C. wasmlinux-cc therefore puts a check
// at the top of every loop body:
//
//     i32.const WASM_USER_PREEMPT_ADDR
//     i32.load
//     if
//       call $__wasm_preempt ;; crt1.c: makes a system call
//     end
//
// The host writes a new non-zero value to the word when the same stretch of
// user code has run for a while with an interrupt pending; the system call's
// way out of the kernel then reschedules and delivers signals. Who clears it and how each thread of a
// process acts once per value is crt1.c's and the watchdog's business
// (src/core/preempt-watchdog.ts): the check stays two instructions and a
// branch. An earlier check that compared the word with a per-instance
// global cost 2-4 times as much in tight loops (bench/preempt.ts: sieve
// 14.8 % against 6.5 %), as V8 reaches a mutable global through the
// instance.
//
// A plain load, not i32.atomic.load: in bench/preempt.ts the atomic load
// cost 12-65 % in tight loops, the plain one 2-19 %. Neither V8 nor
// binaryen's default passes move a linear-memory load out of a loop, and
// the tests include a loop with nothing else in it (`for (;;);`), which is
// where a hoisted load would show.
//
// Only the code section changes. Inserted code has no branches, so label
// depths inside the loop stay valid, and function indices are untouched.
// DWARF sections point at code offsets that are no longer right, so they
// are dropped; the name section is by index and stays.

import { encodeUnsigned, WasmFormatError } from '../../src/core/wasm/leb128.js';
import { walkBody } from './calls.js';
import { concat } from './custom-section.js';
import { Cursor, readModule, type WasmModule } from '../../src/core/wasm/reader.js';
import { USER_PREEMPT_ADDR } from '../../src/core/abi.js';

/** The function the inserted checks call (crt1.c), exported by wasmlinux-cc. */
export const PREEMPT_EXPORT = '__wasm_preempt';

export interface PreemptResult {
  readonly bytes: Uint8Array;
  /** How many loops got a check. */
  readonly loops: number;
}

const CODE_SECTION = 10;

function check(pollFunc: number): Uint8Array {
  return concat([
    Uint8Array.of(0x41), // i32.const
    encodeSigned32(USER_PREEMPT_ADDR),
    Uint8Array.of(0x28, 0x02, 0x00), // i32.load align=4 offset=0
    Uint8Array.of(0x04, 0x40), // if (no result)
    Uint8Array.of(0x10), // call
    encodeUnsigned(pollFunc),
    Uint8Array.of(0x0b), // end
  ]);
}

function encodeSigned32(value: number): Uint8Array {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return Uint8Array.from(out);
    }
    out.push(b | 0x80);
  }
}

/** The index of the exported poll function, or null if the module has none. */
export function pollFunction(mod: WasmModule): number | null {
  const e = mod.exports.find((x) => x.name === PREEMPT_EXPORT && x.kind === 'func');
  return e ? e.index : null;
}

/** Insert the preemption check into every loop of every function except the poll function. */
export function instrumentLoops(input: Uint8Array): PreemptResult {
  const mod = readModule(input);
  const poll = pollFunction(mod);
  if (poll === null) throw new WasmFormatError(`no exported function ${PREEMPT_EXPORT}`, 0);
  const imported = mod.imports.filter((i) => i.desc.kind === 'func').length;
  const snippet = check(poll);
  const none = (): void => {};
  let loops = 0;
  const bodies: Uint8Array[] = [];
  for (const [i, body] of mod.code.entries()) {
    const starts: number[] = [];
    if (i + imported !== poll) {
      walkBody(new Cursor(mod.bytes, body.code.start, body.code.end), none, none, none, (at) =>
        starts.push(at),
      );
    }
    const parts: Uint8Array[] = [];
    let from = body.range.start;
    for (const at of starts) {
      parts.push(mod.bytes.subarray(from, at), snippet);
      from = at;
    }
    parts.push(mod.bytes.subarray(from, body.range.end));
    loops += starts.length;
    const fn = concat(parts);
    bodies.push(encodeUnsigned(fn.length), fn);
  }
  const payload = concat([encodeUnsigned(mod.code.length), ...bodies]);
  const out: Uint8Array[] = [mod.bytes.subarray(0, 8)];
  for (const s of mod.sections) {
    const whole = mod.bytes.subarray(s.headerStart, s.payload.end);
    if (s.id === CODE_SECTION) {
      out.push(Uint8Array.of(CODE_SECTION), encodeUnsigned(payload.length), payload);
    } else if (s.id === 0 && isDebugSection(mod, s.payload.start)) {
      continue;
    } else {
      out.push(whole);
    }
  }
  return { bytes: concat(out), loops };
}

/** Custom sections whose contents refer to code offsets (DWARF, source maps). */
function isDebugSection(mod: WasmModule, payloadStart: number): boolean {
  const c = new Cursor(mod.bytes, payloadStart, mod.bytes.length);
  const name = c.name('custom section name');
  return name.startsWith('.debug_') || name === 'sourceMappingURL';
}
