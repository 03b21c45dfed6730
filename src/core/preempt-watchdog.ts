// Preempting user code that makes no system calls.
//
// Running wasm cannot be interrupted, and on a uniprocessor machine a
// program computing in a loop holds the only CPU: the timer interrupt, the
// console's Ctrl-C and every other task wait until it enters the kernel.
// wasmlinux-cc makes every loop poll a word at USER_PREEMPT_ADDR in the
// program's own memory (tools/wasm/preempt.ts). The kernel publishes which
// process runs user code and a counter bumped on each return to user code
// (struct wasm_user_running); when two looks a period apart find the same
// stretch still running and an interrupt waiting, this sets that word, and
// the program's next loop iteration makes a system call.

import { USER_PREEMPT_ADDR } from './abi.js';

export interface PreemptWatchdogOptions {
  /** The kernel's memory. */
  readonly kernelMemory: WebAssembly.Memory;
  /** Address of struct wasm_user_running { u32 mm; u32 seq; }. */
  readonly userRunning: number;
  /** Address of wasm_irq_pending. */
  readonly irqPending: number;
  /** The memory of the process with this mm->context.host_id, if the host has it. */
  readonly memoryOf: (mm: number) => WebAssembly.Memory | null;
  /** How often to look; a busy loop yields within about two periods. */
  readonly periodMs?: number;
}

export class PreemptWatchdog {
  private readonly words: Int32Array;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastMm = 0;
  private lastSeq = 0;

  constructor(private readonly opts: PreemptWatchdogOptions) {
    this.words = new Int32Array(opts.kernelMemory.buffer);
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.look(), this.opts.periodMs ?? 10);
    // Never the reason a host process stays alive.
    const t = this.timer as { unref?: () => void };
    t.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look; public so that a test can drive it without timers. */
  look(): boolean {
    const at = this.opts.userRunning >> 2;
    const mm = Atomics.load(this.words, at);
    const seq = Atomics.load(this.words, at + 1);
    const stuck = mm !== 0 && mm === this.lastMm && seq === this.lastSeq;
    this.lastMm = mm;
    this.lastSeq = seq;
    if (!stuck || Atomics.load(this.words, this.opts.irqPending >> 2) === 0) return false;
    const memory = this.opts.memoryOf(mm);
    if (!memory) return false;
    // A fresh view: the process's memory may have grown.
    Atomics.store(new Int32Array(memory.buffer, USER_PREEMPT_ADDR, 1), 0, 1);
    return true;
  }
}
