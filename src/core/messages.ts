// Messages between the machine (the host's main thread) and its workers.

import type { KernelSymbols } from './abi.js';
import type { NetDeviceConfig } from './net-host.js';
import type { UserMemoryLimits } from './user-module.js';

/** What every worker gets: the kernel, its memory and the clock's origin. */
interface WorkerInitBase {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  symbols: KernelSymbols;
  /** Absolute time (ms since the epoch, fractional) that kernel clock 0 stands for. */
  clockOriginMs: number;
  /** Names of the host's 9P exports (mount -t 9p TAG), by index. */
  p9Exports: string[];
  /**
   * The 9P server thread's call ring (ninep/call-ring.ts), and which exports
   * it serves, by index; null when no export is local.
   */
  p9Local: { ring: SharedArrayBuffer; exports: boolean[] } | null;
}

/** A process's program and memory, for a task cloned into it (CLONE_VM). */
export interface ProcessImage {
  module: WebAssembly.Module;
  /** Only a shared memory can be used from another worker. */
  memory: WebAssembly.Memory | null;
  /** The memory limits the program declares (a fork child's copy gets the same). */
  limits: UserMemoryLimits;
}

/** Which task a worker is to run. */
export interface TaskAssignment {
  task: number;
  stackTop: number;
  tlsBlock: number;
  /** The program and memory of the task's process, for a cloned user task. */
  image: ProcessImage | null;
}

/** The boot CPU: sets up memory for start_kernel and runs it (then idles forever). */
export interface BootInit extends WorkerInitBase {
  role: 'boot';
  cmdline: string;
  /** How many CPUs the kernel brings up (1 to NR_CPUS). */
  cpus: number;
  /** Whether the host's CPU has total store order (Platform.totalStoreOrder). */
  totalStoreOrder: boolean;
  /**
   * Whether CPU 0's bound kernel threads share this worker, each suspended
   * while it waits (stack-switching.ts); the others get SharedInit workers.
   */
  stackSwitching: boolean;
  initrd: Uint8Array | null;
  /** The Ethernet device, or null for none (then the guest has only lo). */
  net: NetDeviceConfig | null;
}

/** A task: runs wasm_task_entry(task) and then, perhaps, user programs. */
export interface TaskInit extends WorkerInitBase, TaskAssignment {
  role: 'task';
}

/**
 * A shared worker, with stack switching: a secondary CPU's, for every task
 * bound to that CPU (its idle task, per-CPU kernel threads), or the one for
 * the other kernel threads. Each task gets an instance of its own, from
 * TaskAssignment messages.
 */
export interface SharedInit extends WorkerInitBase {
  role: 'shared';
}

/**
 * A spare worker: instantiates the kernel ahead of time, then waits for a
 * TaskAssignment message. Starting a task then costs no thread start.
 */
export interface PoolInit extends WorkerInitBase {
  role: 'pool';
}

/** The timer: raises IRQ_TIMER on a CPU when that CPU's deadline passes. */
export interface TimerInit extends WorkerInitBase {
  role: 'timer';
  cpus: number;
}

export type WorkerInit = BootInit | TaskInit | SharedInit | PoolInit | TimerInit;

/** From a worker to the machine. */
export type WorkerMessage =
  | { type: 'spawn'; task: number; stackTop: number; tlsBlock: number; mm: number; home: number }
  | { type: 'image'; mm: number; image: ProcessImage }
  | { type: 'mm-release'; mm: number }
  | { type: 'halt'; status: number; message: string | null }
  | { type: 'instantiated' }
  | { type: 'exited' }
  | { type: 'crash'; message: string }
  | { type: 'oom-kill'; pid: number; name: string }
  | {
      type: 'p9';
      chan: number;
      exportIndex: number;
      data: Uint8Array;
      req: number;
      rc: number;
      rcCap: number;
    }
  | { type: 'p9-close'; chan: number };
