// The machine: one shared kernel memory, a worker per task (with stack
// switching, kernel threads share a worker per CPU and one more), the timer,
// the console.
// Platform-neutral: the platform supplies workers and I/O.

import {
  CONSOLE_RING_DATA,
  CONSOLE_RING_HEAD,
  CONSOLE_RING_SIZE,
  CONSOLE_RING_TAIL,
  cpuIrqPending,
  HALT_PANIC,
  HALT_POWER_OFF,
  HALT_RESTART,
  HOME_KTHREADS,
  IRQ_CONSOLE,
  IRQ_STDIN,
  NR_CPUS,
  raiseIrq,
  STDIN_RING_DATA,
  STDIN_RING_EOF,
  STDIN_RING_HEAD,
  STDIN_RING_SIZE,
  STDIN_RING_TAIL,
  WINSIZE_SEQ,
  WINSIZE_SIZE,
} from './abi.js';
import { RingFeeder } from './input-ring.js';
import { NetHost, type FrameLink } from './net-host.js';
import { P9Host, type NinePExport } from './p9-host.js';
import { markServerGone, newCallRing } from './ninep/call-ring.js';
import type { LocalServerInit } from './ninep/local-server.js';
import { PreemptWatchdog } from './preempt-watchdog.js';
import type { KernelImage } from './kernel-image.js';
import { stackSwitching } from './stack-switching.js';
import type { ProcessImage, TaskAssignment, WorkerInit, WorkerMessage } from './messages.js';

export interface WorkerHandle {
  /** Send a spare worker its task. */
  assign(a: TaskAssignment): void;
  terminate(): void;
}

export interface Platform {
  /**
   * Whether the host's CPU has total store order (x86): the kernel then
   * orders memory between CPUs with plain loads and stores instead of
   * fences and atomic ones (asm/barrier.h). False when unknown.
   */
  readonly totalStoreOrder?: boolean;
  /** Start a worker running runWorker(init); report its messages and failures. */
  startWorker(
    init: WorkerInit,
    onMessage: (msg: WorkerMessage) => void,
    onError: (err: Error) => void,
  ): WorkerHandle;
  /**
   * Start the 9P server thread running runLocalServer(init) with this
   * platform's storages; onGone when it fails or ends. Without it, a
   * machine cannot have local exports.
   */
  startNinePServer?(init: LocalServerInit, onGone: (err: Error) => void): { terminate(): void };
}

export interface MachineOptions {
  kernel: KernelImage;
  cmdline: string;
  initrd: Uint8Array | null;
  memoryBytes: number;
  /** How many CPUs the kernel runs (1 to NR_CPUS); 1 when not given (see defaultCpus). */
  cpus?: number;
  /**
   * Run kernel threads on shared workers instead of one each: those bound to
   * a CPU, and its idle task, on that CPU's, the others on one more
   * (stack-switching.ts). Default: whenever the engine can (Node 24,
   * Chromium); false keeps a worker per task.
   */
  stackSwitching?: boolean;
  /** Directories the guest can mount over 9P (mount -t 9p TAG DIR). */
  p9Exports?: readonly NinePExport[];
  /**
   * The guest's Ethernet device (eth0) and where its frames go; without it
   * the guest has only the loopback device.
   */
  net?: MachineNet;
  /**
   * The kernel ran out of memory and killed a process. Its full report is
   * in the kernel log, which is often hidden: tell the user here.
   */
  onOomKill?: (victim: OomVictim) => void;
}

export interface MachineNet {
  link: FrameLink;
  /** The device's MTU: what the link's other end takes. */
  mtu: number;
  /** The link went away (the guest then sees its carrier drop). */
  onClosed?: (reason: string) => void;
  /** A wake-up between the kernel and the host was lost and made up for. */
  onKick?: (ring: 'tx' | 'rx') => void;
}

export interface OomVictim {
  pid: number;
  /** The process's name (comm). */
  name: string;
}

export type MachineExit =
  | { kind: 'power-off' }
  | { kind: 'restart'; command: string | null }
  | { kind: 'panic'; message: string }
  | { kind: 'crash'; message: string };

/** The most CPUs a machine gets by default, whatever the host has. */
export const DEFAULT_CPUS_MAX = 8;

/**
 * CPUs for a machine on a host with hostCores cores: one each, at most
 * DEFAULT_CPUS_MAX (each CPU that runs takes a host thread; more would only
 * add waiting on a big host) and at most what the kernel can run.
 */
export function defaultCpus(hostCores: number): number {
  const n = Number.isFinite(hostCores) ? Math.floor(hostCores) : 1;
  return Math.max(1, Math.min(n, DEFAULT_CPUS_MAX, NR_CPUS));
}

export class MachineError extends Error {
  override name = 'MachineError';
}

const PAGE = 65536;

/** Spare workers started ahead of need (boot alone starts about ten tasks). */
const POOL_SIZE = 4;
/** Spare workers kept when tasks exit, before idle ones are stopped. */
const POOL_MAX = 32;

export class Machine {
  private readonly memory: WebAssembly.Memory;
  private readonly workers = new Set<WorkerHandle>();
  private readonly clockOriginMs = performance.timeOrigin + performance.now();
  private exitResolve: ((exit: MachineExit) => void) | null = null;
  private stopped = false;
  private readonly pool: WorkerHandle[] = [];
  /** Program and memory of each process (its mm->context.host_id), for cloned tasks. */
  private readonly images = new Map<number, ProcessImage>();
  /**
   * Spawns whose process image has not arrived yet. The image comes from the
   * worker that ran execve(), the spawn from whichever worker switched to the
   * new task first, and messages from different workers can arrive in either
   * order. Process ids (mm->context.host_id) are never reused, so waiting for
   * the image is safe.
   */
  private readonly waitingForImage = new Map<number, TaskAssignment[]>();
  /** Processes whose end was heard of before their image: drop the image when it comes. */
  private readonly releasedEarly = new Set<number>();
  /** Console input (/dev/console) and the host's stdin (/dev/host_stdin). */
  private readonly consoleIn: RingFeeder;
  private readonly stdinIn: RingFeeder;
  private readonly watchdog: PreemptWatchdog;
  private readonly p9: P9Host;
  /** The 9P server thread of the local exports, and its call ring (null: none local). */
  private readonly p9Local: { ring: SharedArrayBuffer; exports: boolean[] } | null;
  private p9Server: { terminate(): void } | null = null;
  private readonly net: NetHost | null;
  /** The console's size (rows << 16 | cols), kept until the kernel's memory is set up. */
  private winsize: number | null = null;
  private booted = false;
  private readonly cpus: number;
  private readonly stackSwitching: boolean;
  /**
   * With stack switching, the workers shared by tasks, by spawn_task's home:
   * each CPU's (the boot worker is CPU 0's) and the other kernel threads'.
   */
  private readonly sharedWorkers = new Map<number, WorkerHandle>();

  constructor(
    private readonly platform: Platform,
    private readonly opts: MachineOptions,
  ) {
    const minBytes = opts.kernel.minMemoryBytes + (16 << 20);
    if (opts.memoryBytes < minBytes) {
      throw new MachineError(
        `${opts.memoryBytes >> 20} MiB of memory is too little: this kernel needs at least ${Math.ceil(minBytes / (1 << 20))} MiB`,
      );
    }
    this.cpus = opts.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > NR_CPUS) {
      throw new MachineError(`${this.cpus} CPUs: this kernel runs 1 to ${NR_CPUS}`);
    }
    this.stackSwitching = opts.stackSwitching !== false && stackSwitching() !== null;
    const pages = Math.ceil(opts.memoryBytes / PAGE);
    try {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    } catch (err) {
      throw new MachineError(
        `cannot allocate ${opts.memoryBytes >> 20} MiB of shared memory: ${(err as Error).message}`,
      );
    }
    const { wasm_console_in: con, wasm_stdin_in: sin, wasm_cpus: cpus } = opts.kernel.symbols;
    // Devices interrupt CPU 0.
    const pending = cpuIrqPending(cpus, 0);
    this.consoleIn = new RingFeeder(this.memory, {
      head: con + CONSOLE_RING_HEAD,
      tail: con + CONSOLE_RING_TAIL,
      eof: null,
      data: con + CONSOLE_RING_DATA,
      size: CONSOLE_RING_SIZE,
      pending,
      irq: IRQ_CONSOLE,
    });
    this.stdinIn = new RingFeeder(this.memory, {
      head: sin + STDIN_RING_HEAD,
      tail: sin + STDIN_RING_TAIL,
      eof: sin + STDIN_RING_EOF,
      data: sin + STDIN_RING_DATA,
      size: STDIN_RING_SIZE,
      pending,
      irq: IRQ_STDIN,
    });
    this.p9 = new P9Host(this.memory, opts.kernel.symbols, opts.p9Exports ?? []);
    const specs = this.p9.localSpecs;
    this.p9Local = specs.some((s) => s !== null)
      ? { ring: newCallRing(), exports: specs.map((s) => s !== null) }
      : null;
    if (this.p9Local && !platform.startNinePServer)
      throw new Error('this platform cannot serve local 9P exports');
    this.net = opts.net
      ? new NetHost(
          this.memory,
          opts.kernel.symbols,
          opts.net.link,
          opts.net.onClosed,
          opts.net.onKick,
        )
      : null;
    this.watchdog = new PreemptWatchdog({
      kernelMemory: this.memory,
      cpus,
      count: this.cpus,
      memoryOf: (mm) => this.images.get(mm)?.memory ?? null,
    });
  }

  /** Boot; resolves when the machine stops, for whatever reason. */
  run(): Promise<MachineExit> {
    return new Promise((resolve) => {
      this.exitResolve = resolve;
      this.startNinePServer();
      const base = this.base();
      this.start({ ...base, role: 'timer', cpus: this.cpus });
      const boot = this.start({
        ...base,
        role: 'boot',
        cmdline: this.opts.cmdline,
        initrd: this.opts.initrd,
        cpus: this.cpus,
        totalStoreOrder: this.platform.totalStoreOrder === true,
        stackSwitching: this.stackSwitching,
        net: this.opts.net ? { mtu: this.opts.net.mtu } : null,
      });
      if (boot && this.stackSwitching) this.sharedWorkers.set(0, boot);
    });
  }

  /** The 9P server thread, for the local exports (a bug there stops the machine). */
  private startNinePServer(): void {
    const local = this.p9Local;
    if (!local || !this.platform.startNinePServer) return;
    const init: LocalServerInit = {
      memory: this.memory,
      ring: local.ring,
      exports: this.p9.localSpecs,
    };
    this.p9Server = this.platform.startNinePServer(init, (err) => {
      // Callers waiting in the ring answer EIO instead of waiting forever.
      markServerGone(local.ring);
      this.stop({ kind: 'crash', message: `the 9P server thread failed: ${err.message}` });
    });
  }

  /** The network device's state (NetHost.describe), or null without one. */
  netState(): string | null {
    return this.net?.describe() ?? null;
  }

  /** Queue console input; it reaches the kernel through its input ring. */
  input(bytes: Uint8Array): void {
    this.consoleIn.push(bytes);
  }

  /**
   * The host terminal's size: the console tty takes it (TIOCGWINSZ) and
   * signals its foreground process group (SIGWINCH).
   */
  resize(rows: number, cols: number): void {
    const clamp = (n: number): number => Math.max(0, Math.min(0xffff, Math.floor(n)));
    this.winsize = ((clamp(rows) << 16) | clamp(cols)) >>> 0;
    if (this.booted) this.sendWinsize();
  }

  private sendWinsize(): void {
    if (this.winsize === null || this.stopped) return;
    const i32 = new Int32Array(this.memory.buffer);
    const ws = this.opts.kernel.symbols.wasm_console_winsize;
    Atomics.store(i32, (ws + WINSIZE_SIZE) >> 2, this.winsize | 0);
    Atomics.add(i32, (ws + WINSIZE_SEQ) >> 2, 1);
    raiseIrq(i32, cpuIrqPending(this.opts.kernel.symbols.wasm_cpus, 0), IRQ_CONSOLE);
  }

  /**
   * Queue bytes for /dev/host_stdin. Returns false when the caller should
   * pause until the callback given to onStdinDrain runs.
   */
  stdin(bytes: Uint8Array): boolean {
    return this.stdinIn.push(bytes);
  }

  /** The host's stdin has ended: /dev/host_stdin reads EOF after the rest. */
  stdinEnd(): void {
    this.stdinIn.end();
  }

  onStdinDrain(callback: () => void): void {
    this.stdinIn.onDrain(callback);
  }

  stop(exit: MachineExit): void {
    if (this.stopped) return;
    this.stopped = true;
    this.watchdog.stop();
    this.p9.stop();
    this.p9Server?.terminate();
    this.net?.stop();
    this.consoleIn.close();
    this.stdinIn.close();
    for (const w of this.workers) w.terminate();
    this.workers.clear();
    this.exitResolve?.(exit);
  }

  private base(): Pick<
    WorkerInit,
    'module' | 'memory' | 'symbols' | 'clockOriginMs' | 'p9Exports' | 'p9Local'
  > {
    return {
      module: this.opts.kernel.module,
      memory: this.memory,
      symbols: this.opts.kernel.symbols,
      clockOriginMs: this.clockOriginMs,
      p9Exports: this.p9.tags,
      p9Local: this.p9Local,
    };
  }

  private fillPool(): void {
    while (!this.stopped && this.pool.length < POOL_SIZE) {
      const handle = this.start({ ...this.base(), role: 'pool' });
      if (!handle) return;
      this.pool.push(handle);
    }
  }

  private startShared(home: number): void {
    const handle = this.start({ ...this.base(), role: 'shared' });
    if (handle) this.sharedWorkers.set(home, handle);
  }

  /**
   * Give a task to the shared worker its home names. The kernel threads'
   * starts with the machine (kthreadd is among the first tasks). The first
   * task for a secondary CPU starts every secondary CPU's worker: the kernel
   * brings the CPUs up one kthread after another, each waited for, so a
   * worker started only for its own CPU's first task would hold up every CPU
   * by its start-up time; started at boot, they would slow the start of the
   * first tasks' workers (init's) instead.
   */
  private spawnShared(home: number, assignment: TaskAssignment): void {
    if (home > 0 && home < this.cpus && !this.sharedWorkers.has(home)) {
      for (let cpu = 1; cpu < this.cpus; cpu++) this.startShared(cpu);
    }
    const worker = this.sharedWorkers.get(home);
    if (worker) worker.assign(assignment);
    else
      this.stop({ kind: 'crash', message: `a task for shared worker ${home}, which is not there` });
  }

  /** Give a new task to a spare worker, or start one for it. */
  private spawnTask(assignment: TaskAssignment): void {
    // The worker whose task ended last: its caches (compiled programs,
    // process memories to reuse) are the warmest.
    const spare = this.pool.pop();
    if (spare) {
      spare.assign(assignment);
      // Refill once this burst of spawns is over, off the critical path.
      setTimeout(() => this.fillPool(), 0);
      return;
    }
    this.start({ ...this.base(), role: 'task', ...assignment });
  }

  private start(init: WorkerInit): WorkerHandle | null {
    if (this.stopped) return null;
    const handle = this.platform.startWorker(
      init,
      (msg) => this.onMessage(handle, msg),
      (err) => this.stop({ kind: 'crash', message: `worker failed: ${err.message}` }),
    );
    this.workers.add(handle);
    return handle;
  }

  private onMessage(from: WorkerHandle, msg: WorkerMessage): void {
    switch (msg.type) {
      case 'instantiated':
        // Start the spares only now, so that they do not compete with the
        // boot instance while it initialises memory.
        if (this.stackSwitching) this.startShared(HOME_KTHREADS);
        this.fillPool();
        this.consoleIn.start();
        this.stdinIn.start();
        this.net?.start();
        this.watchdog.start();
        this.booted = true;
        this.sendWinsize();
        break;
      case 'spawn': {
        const assignment: TaskAssignment = {
          task: msg.task,
          stackTop: msg.stackTop,
          tlsBlock: msg.tlsBlock,
          image: null,
        };
        // The kernel shares workers only among kernel threads (no mm).
        if (this.stackSwitching && msg.home >= 0 && !msg.mm) {
          this.spawnShared(msg.home, assignment);
          break;
        }
        if (!msg.mm) {
          this.spawnTask(assignment);
          break;
        }
        const image = this.images.get(msg.mm);
        if (image) this.spawnTask({ ...assignment, image });
        else
          this.waitingForImage.set(msg.mm, [
            ...(this.waitingForImage.get(msg.mm) ?? []),
            assignment,
          ]);
        break;
      }
      case 'image': {
        if (this.releasedEarly.delete(msg.mm)) break;
        this.images.set(msg.mm, msg.image);
        const waiting = this.waitingForImage.get(msg.mm) ?? [];
        this.waitingForImage.delete(msg.mm);
        for (const a of waiting) this.spawnTask({ ...a, image: msg.image });
        break;
      }
      case 'mm-release': {
        if (!this.images.delete(msg.mm)) {
          // Also the end of an mm that never got a program (a failed
          // execve): keep only the most recent few.
          this.releasedEarly.add(msg.mm);
          if (this.releasedEarly.size > 256) {
            const oldest = this.releasedEarly.values().next().value;
            if (oldest !== undefined) this.releasedEarly.delete(oldest);
          }
        }
        // Cannot happen while a task of the process lives; if it does, the
        // tasks start without a program and die cleanly (SIGSEGV).
        const waiting = this.waitingForImage.get(msg.mm) ?? [];
        this.waitingForImage.delete(msg.mm);
        for (const a of waiting) this.spawnTask(a);
        break;
      }
      case 'exited':
        // Its task is dead; the worker waits for another one.
        if (this.pool.length < POOL_MAX) this.pool.push(from);
        else {
          from.terminate();
          this.workers.delete(from);
        }
        break;
      case 'halt': {
        const exit = haltExit(msg.status, msg.message);
        // Stopping terminates every worker, and a worker's messages not yet
        // taken are lost with it: other workers may have posted before this
        // one halted (an OOM victim's report), and their ports are read in
        // no set order. Stop once those already waiting are taken.
        setTimeout(() => this.stop(exit), 0);
        break;
      }
      case 'crash':
        this.stop({ kind: 'crash', message: msg.message });
        break;
      case 'oom-kill':
        this.opts.onOomKill?.({ pid: msg.pid, name: msg.name });
        break;
      case 'p9':
        this.p9.request(msg);
        break;
      case 'p9-close':
        this.p9.close(msg.chan);
        break;
    }
  }
}

/** How the machine ended, from the kernel's host.halt(status, message). */
function haltExit(status: number, message: string | null): MachineExit {
  if (status === HALT_POWER_OFF) return { kind: 'power-off' };
  if (status === HALT_RESTART) return { kind: 'restart', command: message };
  if (status === HALT_PANIC) return { kind: 'panic', message: message ?? 'unknown reason' };
  return { kind: 'crash', message: `unknown halt status ${status}` };
}
