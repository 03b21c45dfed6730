// Preempting user code that makes no system calls.
//
// Running wasm cannot be interrupted, and a program computing in a loop
// holds its CPU: the timer interrupt, IPIs, the console's Ctrl-C and every
// other task queued there wait until it enters the kernel. wasmlinux-cc
// makes every loop poll a word at USER_PREEMPT_ADDR in the program's own
// memory (tools/wasm/preempt.ts). The kernel publishes, per CPU, which
// process runs user code and a counter bumped on each return to user code
// (struct wasm_cpu's user_mm and user_seq); when two looks a period apart
// find the same stretch still running on a CPU and an interrupt waiting
// there, this writes a new value to that process's word, and the program's
// next loop iteration makes a system call.
//
// A process with one thread clears the word itself as it acts. In one with
// several, each thread acts once per value (crt1.c), and this clears the
// word at the first look that no longer finds a thread of the process stuck:
// until then the threads' checks call crt1.c, which returns at once.

import { CPU_IRQ_PENDING, CPU_SIZE, CPU_USER_MM, CPU_USER_SEQ, USER_PREEMPT_ADDR } from './abi.js';

export interface PreemptWatchdogOptions {
  /** The kernel's memory. */
  readonly kernelMemory: WebAssembly.Memory;
  /** Address of wasm_cpus, the array of struct wasm_cpu. */
  readonly cpus: number;
  /** How many CPUs run. */
  readonly count: number;
  /** The memory of the process with this mm->context.host_id, if the host has it. */
  readonly memoryOf: (mm: number) => WebAssembly.Memory | null;
  /** How often to look; a busy loop yields within about two periods. */
  readonly periodMs?: number;
}

export class PreemptWatchdog {
  private readonly words: Int32Array;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Per CPU: what the last look saw. */
  private readonly last: { mm: number; seq: number }[];
  /** The last value written to a word: each request gets a new one, never 0. */
  private generation = 0;
  /** Processes whose word the last look wrote, with the value it wrote. */
  private asked = new Map<number, Request>();

  constructor(private readonly opts: PreemptWatchdogOptions) {
    this.words = new Int32Array(opts.kernelMemory.buffer);
    this.last = Array.from({ length: opts.count }, () => ({ mm: 0, seq: 0 }));
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

  /** One look at every CPU; public so that a test can drive it without timers. Returns how many it asked to yield. */
  look(): number {
    let asked = 0;
    const now = new Map<number, Request>();
    for (let cpu = 0; cpu < this.opts.count; cpu++) {
      if (this.lookAt(cpu, now)) asked++;
    }
    // A request this look did not renew was taken: the thread it was for
    // left its stretch of user code. Clear the word, unless it was
    // written since.
    for (const [mm, req] of this.asked) {
      if (!now.has(mm)) Atomics.compareExchange(wordOf(req.memory), 0, req.value, 0);
    }
    this.asked = now;
    return asked;
  }

  private lookAt(cpu: number, now: Map<number, Request>): boolean {
    const base = this.opts.cpus + cpu * CPU_SIZE;
    const mm = Atomics.load(this.words, (base + CPU_USER_MM) >> 2);
    const seq = Atomics.load(this.words, (base + CPU_USER_SEQ) >> 2);
    const last = this.last[cpu]!;
    const stuck = mm !== 0 && mm === last.mm && seq === last.seq;
    last.mm = mm;
    last.seq = seq;
    if (!stuck || Atomics.load(this.words, (base + CPU_IRQ_PENDING) >> 2) === 0) return false;
    const memory = this.opts.memoryOf(mm);
    if (!memory) return false;
    // One new value per process and look, however many of its threads are
    // stuck: each of them acts on it.
    if (!now.has(mm)) {
      this.generation = (this.generation % 0x7fffffff) + 1;
      const value = this.generation;
      Atomics.store(wordOf(memory), 0, value);
      now.set(mm, { memory, value });
    }
    return true;
  }
}

interface Request {
  readonly memory: WebAssembly.Memory;
  readonly value: number;
}

/** A fresh view each time: the process's memory may have grown. */
function wordOf(memory: WebAssembly.Memory): Int32Array {
  return new Int32Array(memory.buffer, USER_PREEMPT_ADDR, 1);
}
