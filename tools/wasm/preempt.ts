// Make a program's loops preemptible.
//
// Nothing can interrupt running wasm code, so a guest program computing in
// a loop without system calls would keep its CPU forever and never see a
// signal: not even SIGKILL, nor Ctrl-C. wasmlinux-cc therefore puts a check
// at the top of every loop body:
//
//     i32.const WASM_USER_PREEMPT_ADDR
//     i32.load
//     global.get $seen
//     i32.ne
//     if
//       i32.const WASM_USER_PREEMPT_ADDR
//       i32.load
//       global.set $seen
//       call $__wasm_preempt ;; crt1.c: makes a system call
//     end
//
// The word is a counter the host bumps, and $seen (a global added here, so
// one per instance, that is per thread) the last value this thread acted
// on: every thread of a process polls the same word, and each enters the
// kernel once per bump. (With a flag that the first thread to see it
// cleared, a thread on another CPU could take the request meant for the
// one the host wanted to stop.)
//
// A plain load, not i32.atomic.load: in bench/preempt.ts the atomic load
// cost 12-65 % in tight loops, the plain one 2-19 %. Neither V8 nor
// binaryen's default passes move a linear-memory load out of a loop, and
// the tests include a loop with nothing else in it (`for (;;);`), which is
// where a hoisted load would show.
//
// The host sets the word when the same stretch of user code has run for a
// while with an interrupt pending (src/core/preempt-watchdog.ts); the system
// call's way out of the kernel then reschedules and delivers signals.
//
// Only the code section changes. Inserted code has no branches, so label
// depths inside the loop stay valid, and function indices are untouched.
// DWARF sections point at code offsets that are no longer right, so they
// are dropped; the name section is by index and stays.

import { encodeUnsigned, WasmFormatError } from './leb128.js';
import { walkBody } from './calls.js';
import { concat } from './custom-section.js';
import { Cursor, readModule, type WasmModule } from './reader.js';

/** Keep in step with WASM_USER_PREEMPT_ADDR in arch/wasm/include/asm/wasm.h. */
export const USER_PREEMPT_ADDR = 512;

/** The function the inserted checks call (crt1.c), exported by wasmlinux-cc. */
export const PREEMPT_EXPORT = '__wasm_preempt';

export interface PreemptResult {
  readonly bytes: Uint8Array;
  /** How many loops got a check. */
  readonly loops: number;
}

const CODE_SECTION = 10;
const GLOBAL_SECTION = 6;
/** Sections that must come after the global section. */
const AFTER_GLOBALS = new Set([7, 8, 9, 12, 10, 11]);

function check(pollFunc: number, seen: number): Uint8Array {
  const loadWord = concat([
    Uint8Array.of(0x41), // i32.const
    encodeSigned32(USER_PREEMPT_ADDR),
    Uint8Array.of(0x28, 0x02, 0x00), // i32.load align=4 offset=0
  ]);
  return concat([
    loadWord,
    Uint8Array.of(0x23), // global.get $seen
    encodeUnsigned(seen),
    Uint8Array.of(0x47), // i32.ne
    Uint8Array.of(0x04, 0x40), // if (no result)
    loadWord,
    Uint8Array.of(0x24), // global.set $seen
    encodeUnsigned(seen),
    Uint8Array.of(0x10), // call
    encodeUnsigned(pollFunc),
    Uint8Array.of(0x0b), // end
  ]);
}

/** (mut i32) (i32.const 0) */
const SEEN_GLOBAL = Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b);

/** The global section with $seen appended (or a new one holding only it). */
function globalsWithSeen(mod: WasmModule): Uint8Array {
  const s = mod.sections.find((x) => x.id === GLOBAL_SECTION);
  let payload: Uint8Array;
  if (s) {
    const c = new Cursor(mod.bytes, s.payload.start, s.payload.end);
    const n = c.count('global', 3);
    payload = concat([
      encodeUnsigned(n + 1),
      mod.bytes.subarray(c.pos, s.payload.end),
      SEEN_GLOBAL,
    ]);
  } else {
    payload = concat([encodeUnsigned(1), SEEN_GLOBAL]);
  }
  return concat([Uint8Array.of(GLOBAL_SECTION), encodeUnsigned(payload.length), payload]);
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
  // Appended after every global there is: no existing index moves.
  const seen = mod.imports.filter((i) => i.desc.kind === 'global').length + mod.globals.length;
  const snippet = check(poll, seen);
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
  const hasGlobals = mod.sections.some((x) => x.id === GLOBAL_SECTION);
  let globalsDone = false;
  for (const s of mod.sections) {
    const whole = mod.bytes.subarray(s.headerStart, s.payload.end);
    if (!globalsDone && !hasGlobals && AFTER_GLOBALS.has(s.id)) {
      out.push(globalsWithSeen(mod));
      globalsDone = true;
    }
    if (s.id === GLOBAL_SECTION) {
      out.push(globalsWithSeen(mod));
      globalsDone = true;
    } else if (s.id === CODE_SECTION) {
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
