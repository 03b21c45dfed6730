// Messages between the machine (the host's main thread) and its workers.

import type { KernelSymbols } from './abi.js';

/** What every worker gets: the kernel, its memory and the clock's origin. */
interface WorkerInitBase {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  symbols: KernelSymbols;
  /** Absolute time (ms since the epoch, fractional) that kernel clock 0 stands for. */
  clockOriginMs: number;
}

/** The boot CPU: sets up memory for start_kernel and runs it (then idles forever). */
export interface BootInit extends WorkerInitBase {
  role: 'boot';
  cmdline: string;
  initrd: Uint8Array | null;
}

/** A task: runs wasm_task_entry(task) and then, perhaps, user programs. */
export interface TaskInit extends WorkerInitBase {
  role: 'task';
  task: number;
  stackTop: number;
  tlsBlock: number;
}

/**
 * A spare worker: instantiates the kernel ahead of time, then waits on its
 * mailbox (Int32Array: [ready flag, task, stackTop, tlsBlock]) until the
 * machine hands it a new task. Starting a task then costs no thread start.
 */
export interface PoolInit extends WorkerInitBase {
  role: 'pool';
  mailbox: SharedArrayBuffer;
}

/** The timer: raises IRQ_TIMER when the kernel's deadline passes. */
export interface TimerInit extends WorkerInitBase {
  role: 'timer';
}

export type WorkerInit = BootInit | TaskInit | PoolInit | TimerInit;

/** From a worker to the machine. */
export type WorkerMessage =
  | { type: 'spawn'; task: number; stackTop: number; tlsBlock: number }
  | { type: 'halt'; status: number; message: string | null }
  | { type: 'instantiated' }
  | { type: 'exited' }
  | { type: 'crash'; message: string };
