// JavaScript Promise Integration (JSPI) and Atomics.waitAsync: what lets one
// worker hold many kernel tasks. wasm cannot switch stacks itself, so a task
// normally needs a host thread of its own to keep its call stack while it
// sleeps. With JSPI a task's instance, entered through WebAssembly.promising,
// is suspended when its wait import returns a promise, and the worker runs
// its other tasks until that promise settles. Node 24 and Chromium have it;
// Node 20 does not, and keeps a worker per task. TypeScript's lib knows
// neither API yet: they are typed here.

/** The part of WebAssembly JSPI adds. */
export interface Jspi {
  /** Wrap an import: when it returns a promise, the calling wasm stack is suspended. */
  readonly Suspending: new (fn: (...args: never[]) => unknown) => object;
  /** Wrap an export: calls return a promise, settled when the wasm code returns or throws. */
  promising<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R>;
}

type WaitAsync = (
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) =>
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

/** JSPI and Atomics.waitAsync if this engine has both, else null. */
export function stackSwitching(): { jspi: Jspi; waitAsync: WaitAsync } | null {
  const wa = WebAssembly as unknown as Partial<Jspi>;
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (typeof wa.Suspending !== 'function' || typeof wa.promising !== 'function') return null;
  if (typeof waitAsync !== 'function') return null;
  return { jspi: wa as Jspi, waitAsync: waitAsync.bind(Atomics) };
}
