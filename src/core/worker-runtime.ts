// What runs inside each worker: the boot CPU, a task, kernel threads that
// share a worker, or the timer.
//
// A task's worker owns one vmlinux instance for the task's whole life, and
// while the task runs a user program, that program's instance too. The
// program's "linux" "syscall" import is the kernel instance's wasm_syscall
// export itself, so system calls never pass through JavaScript. With stack
// switching (stack-switching.ts) a shared worker holds many kernel instances,
// one per kernel thread, each suspended while it waits.

import {
  COMMAND_LINE_SIZE,
  CPU_SIZE,
  CPU_TIMER_DEADLINE,
  cpuIrqPending,
  HOST_MODULE,
  IMAGE_KEY_WORDS,
  IRQ_TIMER,
  MM_LIVE_SLOTS,
  raiseIrq,
  NR_EXIT_GROUP,
  ENTRY_CLONE,
  FUTEX_OP_ADD,
  FUTEX_OP_ANDN,
  FUTEX_OP_OR,
  FUTEX_OP_SET,
  FUTEX_OP_XOR,
  PT_REGS_PC,
  PT_REGS_SYSCALL_NR,
  PT_REGS_TLS,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGNAL_JUMPED,
  USER_CLONE_ENTRY,
  USER_ENTRY,
  USER_SIGNAL_ENTRY,
  USER_STACK_HIGH,
  USER_STACK_LOW,
  USER_STACK_POINTER,
  type KernelExports,
  type KernelHostImports,
} from './abi.js';
import type {
  BootInit,
  SharedInit,
  PoolInit,
  TaskAssignment,
  TaskInit,
  TimerInit,
  WorkerInit,
  WorkerMessage,
} from './messages.js';
import { writeNetConfig } from './net-host.js';
import { ImageCache } from './image-cache.js';
import { type CopyHelperInit, type CopyHelperPort, ParallelCopier } from './copy-helper.js';
import { type MemoryRange, ProcessMemories } from './process-memory.js';
import { checkUserImage, type UserImage, type UserMemoryLimits } from './user-module.js';
import { isLongjmp, LONGJMP_IMPORTS, LONGJMP_UNCAUGHT } from './user-longjmp.js';
import { stackSwitching } from './stack-switching.js';
import { NinePCaller } from './ninep/call-ring.js';
import { Errno } from './errno.js';

const { EAGAIN, EFAULT, EINPROGRESS, ENOENT, ENOEXEC, ENOMEM, ENOSYS, EPIPE } = Errno;

/** What the platform gives a worker. */
export interface WorkerHost {
  post(msg: WorkerMessage): void;
  /** Deliver the machine's next message (a spare worker's assignment) to handler. */
  onAssignment(handler: (a: TaskAssignment) => void): void;
  /** Deliver every message from the machine (a shared worker's assignments) to handler. */
  onAssignments(handler: (a: TaskAssignment) => void): void;
  /** Synchronous console output: kernel log and /dev/console. */
  writeConsole(bytes: Uint8Array): void;
  /**
   * Synchronous output to the host's stdout (1) or stderr (2) for
   * /dev/host_stdout and /dev/host_stderr; false when the reader is gone.
   */
  writeStream(stream: 1 | 2, bytes: Uint8Array): boolean;
  /** Diagnostics that are not guest output. */
  writeError(text: string): void;
  /**
   * Start a helper thread for the large copies of fork (copy-helper.ts);
   * absent where the platform has none (forks then copy on one thread).
   */
  startCopyHelper?(init: CopyHelperInit): CopyHelperPort;
}

/** Thrown through the wasm frames of a task that has died. */
class TaskExit extends Error {}
/** Thrown through the old program's frames after a successful execve(). */
class ExecRestart extends Error {
  constructor(readonly sp: number) {
    super('execve');
  }
}

function clockNs(origin: number): number {
  return (performance.timeOrigin + performance.now() - origin) * 1e6;
}

function cString(mem: Uint8Array, addr: number, max = 4096): string {
  let end = addr;
  while (end < mem.length && end < addr + max && mem[end] !== 0) end++;
  return new TextDecoder().decode(mem.subarray(addr, end));
}

/** Block this thread for good: used after asking the machine to stop. */
function parkForever(): never {
  const word = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(word, 0, 0);
}

type SignalEntry = (
  handler: number,
  sig: number,
  info: number,
  uc: number,
  siginfo: number,
) => void;

/** What a shared worker's waits need (stack-switching.ts). */
type Suspender = NonNullable<ReturnType<typeof stackSwitching>>;

/** memory.atomic.wait32's result for Atomics.wait's. */
function waitResult(r: 'ok' | 'not-equal' | 'timed-out'): number {
  return r === 'ok' ? 0 : r === 'not-equal' ? 1 : 2;
}

/**
 * A trap's words for the kernel log: the engine's message and the innermost
 * wasm frame, which names the function when the program kept its names.
 */
function describeTrap(err: unknown): string {
  if (isLongjmp(err)) return LONGJMP_UNCAUGHT;
  if (err instanceof WebAssembly.LinkError) return `the program cannot be linked: ${err.message}`;
  if (!(err instanceof Error)) return String(err);
  const frame = (err.stack ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('at ') && l.includes('wasm'));
  return frame ? `${err.message} ${frame}` : err.message;
}

/** Map a trap in user code to the signal a CPU would have raised. */
function signalForTrap(err: unknown): number | null {
  if (err instanceof RangeError) return SIGSEGV; // call stack exhausted
  if (isLongjmp(err)) return SIGSEGV; // no setjmp on the stack took it
  // Imports of the wrong type (execve's check looks at names, not types):
  // past execve's point of no return, so it dies as on Linux.
  if (err instanceof WebAssembly.LinkError) return SIGSEGV;
  if (!(err instanceof WebAssembly.RuntimeError)) return null;
  const m = err.message;
  if (/unreachable/.test(m)) return SIGILL;
  if (/divide|division|remainder|integer overflow/.test(m)) return SIGFPE;
  return SIGSEGV;
}

/** Views of a user memory (KernelInstance.user()). */
interface UserViews {
  memory: WebAssembly.Memory | null;
  u8: Uint8Array;
  i32: Int32Array;
}

const NO_USER_VIEWS: UserViews = { memory: null, u8: new Uint8Array(0), i32: new Int32Array(0) };

class KernelInstance {
  readonly exports: KernelExports;
  readonly kmem: Uint8Array;
  readonly kview: DataView;
  userModule: WebAssembly.Module | null = null;
  userMemory: WebAssembly.Memory | null = null;
  /** The limits the running program declares for its memory. */
  userLimits: UserMemoryLimits | null = null;
  /** What the last trap in user code on this worker was (user_trap). */
  lastTrap = '';
  /** The running program's instance: signal handlers run in it. */
  userInstance: WebAssembly.Instance | null = null;
  private userViews: UserViews = NO_USER_VIEWS;
  /** The program execve() checked, and the memory made for it, until it commits. */
  private pending: { image: UserImage; memory: WebAssembly.Memory } | null = null;
  /** Programs this worker compiled, by file identity and version. */
  private readonly images = new ImageCache<UserImage>(16);
  /** Memories this worker made for processes, reused once those are gone. */
  private readonly memories: ProcessMemories;
  /** Calls to the 9P server thread, for the local exports (null: none). */
  private readonly p9Caller: NinePCaller | null;

  /** suspend: this instance shares its worker; its waits suspend it (enter only through promising). */
  constructor(
    private readonly init: WorkerInit,
    private readonly host: WorkerHost,
    suspend: Suspender | null = null,
  ) {
    this.kmem = new Uint8Array(init.memory.buffer);
    this.kview = new DataView(init.memory.buffer);
    this.p9Caller = init.p9Local ? new NinePCaller(init.p9Local.ring, () => this.kmem) : null;
    const imports = this.hostImports();
    const i32 = new Int32Array(init.memory.buffer);
    const ms = (ns: bigint): number => (ns < 0n ? Infinity : Number(ns) / 1e6);
    const blockingWait: KernelHostImports['wait'] = (addr, expect, ns) => {
      const index = addr >>> 2;
      // About to block for as long as it takes: clear memories that came
      // back meanwhile, a slice at a time, while the word stays as it is.
      if (ns < 0n && !this.memories.tidy(() => Atomics.load(i32, index) === expect)) {
        return waitResult('not-equal');
      }
      return waitResult(Atomics.wait(i32, index, expect, ms(ns)));
    };
    const wait = suspend
      ? new suspend.jspi.Suspending((addr: number, expect: number, ns: bigint) => {
          const r = suspend.waitAsync(i32, addr >>> 2, expect, ms(ns));
          return r.async ? r.value.then(waitResult) : waitResult(r.value);
        })
      : blockingWait;
    const instance = new WebAssembly.Instance(init.module, {
      env: { memory: init.memory },
      [HOST_MODULE]: { ...imports, wait } as unknown as WebAssembly.ModuleImports,
    });
    this.exports = instance.exports as unknown as KernelExports;
    const live = new Int32Array(init.memory.buffer, init.symbols.wasm_mm_live, MM_LIVE_SLOTS);
    const startHelper = host.startCopyHelper?.bind(host) ?? null;
    this.memories = new ProcessMemories(
      (id) => Atomics.load(live, id % MM_LIVE_SLOTS) !== 0,
      new ParallelCopier(startHelper),
    );
  }

  /**
   * Make the memory for the program execve() is about to run, before its
   * point of no return: 0, or -ENOMEM when the host cannot make one.
   */
  private prepare(image: UserImage): number {
    this.dropPending();
    try {
      this.pending = { image, memory: this.memories.acquire(image.memory) };
      return 0;
    } catch {
      return -ENOMEM;
    }
  }

  /**
   * fork: a copy of the current process's memory for process mm, which
   * the machine then gives to the child's tasks. This worker made it, so
   * this worker takes it back once that process is gone.
   */
  private forkMemory(mm: number): number {
    const parent = this.userMemory;
    const module = this.userModule;
    const limits = this.userLimits;
    if (!parent || !module || !limits || !(parent.buffer instanceof SharedArrayBuffer)) {
      return -EAGAIN;
    }
    let copy: WebAssembly.Memory;
    let stack: { whole: MemoryRange; dead?: MemoryRange } | undefined;
    try {
      stack = this.mainStack();
      copy = this.memories.copy(parent, limits, stack?.dead);
    } catch {
      return -ENOMEM;
    }
    this.memories.adopt(mm, copy, limits, stack?.whole);
    this.host.post({ type: 'image', mm, image: { module, memory: copy, limits } });
    return 0;
  }

  /**
   * The program's main stack, whole, and the part of it below the running
   * code's stack pointer when that is on the main stack (a thread's stack
   * is elsewhere, and the main stack is then live). The fork's clone() call
   * runs below all of its frames.
   */
  private mainStack(): { whole: MemoryRange; dead?: MemoryRange } | undefined {
    const ex = this.userInstance?.exports;
    const [low, high, sp] = [USER_STACK_LOW, USER_STACK_HIGH, USER_STACK_POINTER].map((n) => {
      const g = ex?.[n];
      return g instanceof WebAssembly.Global ? (g.value as number) >>> 0 : undefined;
    });
    if (low === undefined || high === undefined || sp === undefined || high <= low) {
      return undefined;
    }
    const whole = { start: low, end: high };
    return low < sp && sp <= high ? { whole, dead: { start: low, end: sp } } : { whole };
  }

  /** text as UTF-8 at buf in kernel memory, cut at len bytes; returns the bytes written. */
  private writeText(buf: number, len: number, text: string): number {
    const bytes = new TextEncoder().encode(text);
    const n = Math.min(bytes.length, len >>> 0);
    this.kmem.set(bytes.subarray(0, n), buf >>> 0);
    return n;
  }

  /** An execve() that failed after exec_prepare left its memory unused: keep it for the next. */
  private dropPending(): void {
    if (this.pending) this.memories.giveBack(this.pending.memory, this.pending.image.memory);
    this.pending = null;
  }

  tidyMemories(): void {
    this.memories.tidy();
  }

  /** The task is gone: keep nothing of its program alive. */
  forgetUser(): void {
    this.dropPending();
    this.userModule = null;
    this.userMemory = null;
    this.userViews = NO_USER_VIEWS;
    this.userLimits = null;
    this.userInstance = null;
  }

  /** The program's signal entry and stack pointer, if it has both. */
  private signalEntry(): { entry: SignalEntry; sp: WebAssembly.Global } | null {
    const ex = this.userInstance?.exports;
    const entry = ex?.[USER_SIGNAL_ENTRY];
    const sp = ex?.[USER_STACK_POINTER];
    if (typeof entry !== 'function' || !(sp instanceof WebAssembly.Global)) return null;
    return { entry: entry as SignalEntry, sp };
  }

  /**
   * Views of the user memory for an access that ends at end. Kept between
   * calls: a fresh view (and memory.buffer, which on a shared memory asks
   * whether another thread grew it) at every system call's copy cost 2 %
   * of a shell loop that stats a name per step. A memory only grows, so a
   * view that reaches end is still right; one that does not is renewed
   * (a private memory's old buffer is detached by growth, its view empty).
   */
  private user(end: number): UserViews {
    const memory = this.userMemory;
    const cached = this.userViews;
    if (cached.memory === memory && end <= cached.u8.length) return cached;
    if (!memory) return NO_USER_VIEWS;
    const buffer = memory.buffer;
    this.userViews = { memory, u8: new Uint8Array(buffer), i32: new Int32Array(buffer) };
    return this.userViews;
  }

  /**
   * The 32-bit word of the user memory at addr, for Atomics; null when it
   * is outside the memory or not 4-byte aligned (the caller's -EFAULT).
   */
  private userWord(addr: number): { i32: Int32Array; index: number } | null {
    const a = addr >>> 0;
    if (a % 4 !== 0) return null;
    const { i32 } = this.user(a + 4);
    return a + 4 <= i32.length * 4 ? { i32, index: a / 4 } : null;
  }

  /** All but wait, which depends on whether the instance shares its worker (constructor). */
  private hostImports(): Omit<KernelHostImports, 'wait'> {
    const origin = this.init.clockOriginMs;
    const host = this.host;
    return {
      console_write: (buf, len) => {
        host.writeConsole(this.kmem.slice(buf >>> 0, (buf >>> 0) + (len >>> 0)));
      },
      clock_ns: () => clockNs(origin),
      wallclock_s: () => Date.now() / 1000,
      random: (buf, len) => {
        // getRandomValues refuses shared views and takes 64 KiB at a time.
        const chunk = new Uint8Array(Math.min(len >>> 0, 65536));
        for (let off = 0; off < len >>> 0; off += chunk.length) {
          const n = Math.min(chunk.length, (len >>> 0) - off);
          crypto.getRandomValues(chunk.subarray(0, n));
          this.kmem.set(chunk.subarray(0, n), (buf >>> 0) + off);
        }
      },
      spawn_task: (task, stackTop, tlsBlock, mm, home) => {
        host.post({
          type: 'spawn',
          task: task >>> 0,
          stackTop: stackTop >>> 0,
          tlsBlock: tlsBlock >>> 0,
          mm: mm >>> 0,
          home,
        });
      },
      mm_release: (mm) => {
        host.post({ type: 'mm-release', mm: mm >>> 0 });
      },
      task_exit: () => {
        throw new TaskExit('task exited');
      },
      dump_stack: (buf, len) => {
        // V8's (Node and Chromium alike), which no standard declares.
        const v8 = Error as ErrorConstructor & { stackTraceLimit?: number };
        const limit = v8.stackTraceLimit;
        v8.stackTraceLimit = 64;
        const lines = (new Error().stack ?? '').split('\n').slice(2);
        v8.stackTraceLimit = limit;
        return this.writeText(buf, len, lines.map((l) => `${l.trim()}\n`).join(''));
      },
      user_trap: (buf, len) => this.writeText(buf, len, this.lastTrap),
      oom_killed: (pid, comm) => {
        host.post({ type: 'oom-kill', pid, name: cString(this.kmem, comm >>> 0, 16) });
      },
      halt: (status, msg) => {
        const message = msg ? cString(this.kmem, msg >>> 0) : null;
        host.post({ type: 'halt', status, message });
        parkForever();
      },
      copy_from_user: (to, from, n) => {
        const f = from >>> 0;
        const len = n >>> 0;
        // An aligned word is read in one piece, as a CPU would (get_user of
        // a futex word or a lock while other threads change it).
        const w = len === 4 ? this.userWord(f) : null;
        if (w) {
          this.kview.setInt32(to >>> 0, Atomics.load(w.i32, w.index), true);
          return 0;
        }
        const u = this.user(f + len).u8;
        const ok = Math.max(0, Math.min(len, u.length - f));
        if (ok > 0) this.kmem.set(u.subarray(f, f + ok), to >>> 0);
        return len - ok;
      },
      copy_to_user: (to, from, n) => {
        const t = to >>> 0;
        const len = n >>> 0;
        // And written in one piece (put_user of a thread's clear_child_tid).
        const w = len === 4 ? this.userWord(t) : null;
        if (w) {
          Atomics.store(w.i32, w.index, this.kview.getInt32(from >>> 0, true));
          return 0;
        }
        const u = this.user(t + len).u8;
        const ok = Math.max(0, Math.min(len, u.length - t));
        if (ok > 0) u.set(this.kmem.subarray(from >>> 0, (from >>> 0) + ok), t);
        return len - ok;
      },
      clear_user: (to, n) => {
        const t = to >>> 0;
        const len = n >>> 0;
        const u = this.user(t + len).u8;
        const ok = Math.max(0, Math.min(len, u.length - t));
        if (ok > 0) u.fill(0, t, t + ok);
        return len - ok;
      },
      strnlen_user: (s, n) => {
        const start = s >>> 0;
        const u = this.user(start + n).u8;
        const limit = Math.min(start + n, u.length);
        for (let i = start; i < limit; i++) if (u[i] === 0) return i - start + 1;
        return start + n <= u.length ? n + 1 : 0;
      },
      strncpy_from_user: (dst, src, n) => {
        const start = src >>> 0;
        const u = this.user(start + n).u8;
        if (start >= u.length) return -EFAULT;
        const end = Math.min(start + n, u.length);
        let i = start;
        while (i < end && u[i] !== 0) i++;
        if (i === end && end < start + n) return -EFAULT;
        const copied = i - start;
        this.kmem.set(u.subarray(start, Math.min(i + 1, end)), dst >>> 0);
        return copied;
      },
      exec_prepare: (image, len, key) => {
        const words = new Uint32Array(IMAGE_KEY_WORDS);
        for (let i = 0; i < IMAGE_KEY_WORDS; i++)
          words[i] = this.kview.getUint32((key >>> 0) + 4 * i, true);
        const id = words.join(':');
        if (image === 0) {
          const hit = this.images.get(id);
          if (!hit) return -ENOENT;
          return this.prepare(hit);
        }
        const bytes = new Uint8Array(len >>> 0);
        bytes.set(this.kmem.subarray(image >>> 0, (image >>> 0) + (len >>> 0)));
        const checked = checkUserImage(bytes);
        if (typeof checked === 'string') return -ENOEXEC;
        this.images.set(id, checked);
        return this.prepare(checked);
      },
      exec_commit: (mm) => {
        const pending = this.pending;
        this.pending = null;
        if (!pending) return -ENOEXEC;
        const { image, memory } = pending;
        this.userMemory = memory;
        this.userModule = image.module;
        this.userLimits = image.memory;
        this.userInstance = null;
        this.memories.adopt(mm >>> 0, memory, image.memory);
        // Tasks cloned into this process later run on other workers: the
        // machine keeps the program, and the memory when it can be shared.
        host.post({
          type: 'image',
          mm: mm >>> 0,
          image: {
            module: image.module,
            memory: image.memory.shared ? memory : null,
            limits: image.memory,
          },
        });
        // The top of the memory the program asked for, where its arguments
        // go: a reused memory may be larger (zero above; AT_WASM_MEMTOP).
        return Math.min(image.memory.initial * 65536, 0x7fff0000);
      },
      exec_restart: (sp) => {
        throw new ExecRestart(sp >>> 0);
      },
      stdio_write: (stream, buf, len) => {
        const bytes = this.kmem.slice(buf >>> 0, (buf >>> 0) + (len >>> 0));
        return host.writeStream(stream === 2 ? 2 : 1, bytes) ? 0 : -EPIPE;
      },
      p9_open: (tag, len) => {
        const name = new TextDecoder().decode(
          this.kmem.slice(tag >>> 0, (tag >>> 0) + (len >>> 0)),
        );
        const i = this.init.p9Exports.indexOf(name);
        return i >= 0 ? i : -ENOENT;
      },
      p9_request: (chan, exportIndex, tc, tcLen, req, rc, rcCap) => {
        // A local export: served while this task waits (ninep/call-ring.ts).
        if (this.p9Caller && this.init.p9Local?.exports[exportIndex] === true)
          return this.p9Caller.request(
            chan >>> 0,
            exportIndex,
            tc >>> 0,
            tcLen >>> 0,
            rc >>> 0,
            rcCap >>> 0,
          );
        host.post({
          type: 'p9',
          chan: chan >>> 0,
          exportIndex,
          data: this.kmem.slice(tc >>> 0, (tc >>> 0) + (tcLen >>> 0)),
          req: req >>> 0,
          rc: rc >>> 0,
          rcCap: rcCap >>> 0,
        });
        return -EINPROGRESS;
      },
      p9_close: (chan) => {
        // Whichever serves the channel drops it; the other has never seen it.
        this.p9Caller?.close(chan >>> 0);
        host.post({ type: 'p9-close', chan: chan >>> 0 });
      },
      user_sp: () => {
        const s = this.signalEntry();
        return s ? s.sp.value : 0;
      },
      futex_op: (op, uaddr, arg, old) => {
        const w = this.userWord(uaddr);
        if (!w) return -EFAULT;
        let prev: number;
        if (op === FUTEX_OP_SET) prev = Atomics.exchange(w.i32, w.index, arg);
        else if (op === FUTEX_OP_ADD) prev = Atomics.add(w.i32, w.index, arg);
        else if (op === FUTEX_OP_OR) prev = Atomics.or(w.i32, w.index, arg);
        else if (op === FUTEX_OP_ANDN) prev = Atomics.and(w.i32, w.index, ~arg);
        else if (op === FUTEX_OP_XOR) prev = Atomics.xor(w.i32, w.index, arg);
        else return -ENOSYS;
        this.kview.setInt32(old >>> 0, prev, true);
        return 0;
      },
      futex_cmpxchg: (uaddr, oldval, newval, old) => {
        const w = this.userWord(uaddr);
        if (!w) return -EFAULT;
        const prev = Atomics.compareExchange(w.i32, w.index, oldval | 0, newval | 0);
        this.kview.setInt32(old >>> 0, prev, true);
        return 0;
      },
      user_memory_shared: () => (this.userMemory?.buffer instanceof SharedArrayBuffer ? 1 : 0),
      fork_memory: (mm) => this.forkMemory(mm >>> 0),
      user_signal: (handler, sig, info, uc, frameSp, siginfo) => {
        const s = this.signalEntry();
        if (!s) return SIGSEGV;
        const old: number = s.sp.value;
        s.sp.value = frameSp;
        try {
          s.entry(handler, sig, info, uc, siginfo);
        } catch (err) {
          // Not through the kernel's frames. The jump stays in flight
          // (musl's __wasm_jumping), and the program throws it on when
          // the system call returns (musl's syscall_arch.h); the kernel
          // must not make the call again first.
          if (isLongjmp(err)) return SIGNAL_JUMPED;
          const trap = signalForTrap(err);
          if (trap === null) throw err; // task exit, exec, or a host failure
          this.lastTrap = describeTrap(err);
          return trap;
        } finally {
          s.sp.value = old;
        }
        return 0;
      },
    };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

/** Start user code the way pt_regs says: a new program's _start, or a clone child's entry. */
function enterUser(
  k: KernelInstance,
  instance: WebAssembly.Instance,
  stackTop: number,
  sp: number,
): void {
  const pc = k.kview.getUint32(stackTop + PT_REGS_PC, true);
  if (pc === ENTRY_CLONE) {
    const entry = instance.exports[USER_CLONE_ENTRY];
    if (typeof entry !== 'function')
      throw new WebAssembly.RuntimeError('unreachable: no clone entry');
    const tls = k.kview.getUint32(stackTop + PT_REGS_TLS, true);
    (entry as (sp: number, tls: number) => void)(sp, tls);
  } else {
    (instance.exports[USER_ENTRY] as (sp: number) => void)(sp);
  }
}

/**
 * An instance of the running program. Every program gets longjmp's throw
 * and tag (user-longjmp.ts; an import it does not make is ignored), and
 * system calls go to the kernel's entry itself, without a host hop.
 */
function instantiateUser(
  k: KernelInstance,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): WebAssembly.Instance {
  const linux = { syscall: k.exports.wasm_syscall, ...LONGJMP_IMPORTS };
  return new WebAssembly.Instance(module, {
    env: { memory },
    linux: linux as WebAssembly.ModuleImports,
  });
}

/** Run user code until the task dies. sp is where it first starts. */
function runUser(k: KernelInstance, stackTop: number, firstSp: number): void {
  let sp = firstSp;
  for (;;) {
    try {
      const module = k.userModule;
      const memory = k.userMemory;
      // A clone of a program whose memory cannot be shared has nothing to run.
      if (!module || !memory) throw new WebAssembly.RuntimeError('memory access out of bounds');
      const instance = instantiateUser(k, module, memory);
      k.userInstance = instance;
      enterUser(k, instance, stackTop, sp);
      // User code must not return; treat it as exit(0).
      k.exports.wasm_syscall(NR_EXIT_GROUP, 0n, 0n, 0n, 0n, 0n, 0n);
      throw new Error('exit_group returned');
    } catch (err) {
      if (err instanceof ExecRestart) {
        sp = err.sp;
        continue;
      }
      if (err instanceof TaskExit) throw err;
      const sig = signalForTrap(err);
      const inKernel = k.kview.getInt32(stackTop + PT_REGS_SYSCALL_NR, true) !== -1;
      if (sig === null || inKernel) throw err;
      k.lastTrap = describeTrap(err);
      const next = k.exports.wasm_user_fault(sig);
      if (next) sp = next;
    }
  }
}

function runBoot(init: BootInit, host: WorkerHost): void {
  const suspend = init.stackSwitching ? stackSwitching() : null;
  const k = new KernelInstance(init, host, suspend);
  host.post({ type: 'instantiated' });
  const { symbols } = init;
  const cmd = new TextEncoder().encode(init.cmdline).subarray(0, COMMAND_LINE_SIZE - 1);
  k.kmem.set(cmd, symbols.wasm_boot_cmdline);
  k.kmem[symbols.wasm_boot_cmdline + cmd.length] = 0;
  k.kview.setUint32(symbols.wasm_boot_cpus, init.cpus, true);
  k.kview.setUint32(symbols.wasm_host_tso, init.totalStoreOrder ? 1 : 0, true);
  k.kview.setUint32(symbols.wasm_host_stack_switching, suspend ? 1 : 0, true);
  if (init.net) writeNetConfig(k.kview, symbols, init.net);
  if (init.initrd && init.initrd.length > 0) {
    const top = k.kmem.length;
    const start = (top - init.initrd.length) & ~4095;
    if (start <= symbols.__heap_base + (1 << 20)) {
      throw new Error(`the initramfs (${init.initrd.length} bytes) does not fit in memory`);
    }
    k.kmem.set(init.initrd, start);
    k.kview.setUint32(symbols.wasm_initrd_start, start, true);
    k.kview.setUint32(symbols.wasm_initrd_size, init.initrd.length, true);
  }
  k.exports.__stack_pointer.value = k.kview.getUint32(symbols.wasm_boot_sp, true);
  k.exports.__wasm_init_tls(symbols.wasm_boot_tls);
  if (!suspend) {
    k.exports.wasm_start_kernel();
    throw new Error('start_kernel returned');
  }
  // CPU 0's worker: the boot task (CPU 0's idle task, in the end) and the
  // kernel threads bound to CPU 0.
  serveShared(init, host, suspend);
  settle(host, suspend.jspi.promising(k.exports.wasm_start_kernel)(), 'start_kernel returned');
}

/**
 * Run the tasks the machine assigns to this shared worker, each on a new
 * instance entered through promising, so that its waits suspend it and
 * leave the worker to the others. The kernel shares workers only among
 * kernel threads and idle tasks (process.c): none enters user mode.
 */
function serveShared(init: WorkerInit, host: WorkerHost, suspend: Suspender): void {
  const run = (a: TaskAssignment): void => {
    try {
      const k = new KernelInstance(init, host, suspend);
      k.exports.__stack_pointer.value = a.stackTop;
      k.exports.__wasm_init_tls(a.tlsBlock);
      settle(
        host,
        suspend.jspi.promising(k.exports.wasm_task_entry)(a.task),
        'a task on a shared worker entered user mode',
      );
    } catch (err) {
      host.post({ type: 'crash', message: describe(err) });
    }
  };
  host.onAssignments(run);
}

/** How a suspendable task ends: its exit is normal, returning is not, a trap stops the machine. */
function settle(host: WorkerHost, ran: Promise<unknown>, returned: string): void {
  ran.then(
    () => host.post({ type: 'crash', message: returned }),
    (err: unknown) => {
      if (!(err instanceof TaskExit)) host.post({ type: 'crash', message: describe(err) });
    },
  );
}

/** A secondary CPU's worker (the boot worker is CPU 0's), or the kernel threads'. */
function runShared(init: SharedInit, host: WorkerHost): void {
  const suspend = stackSwitching();
  if (!suspend) throw new Error('a shared worker needs JSPI and Atomics.waitAsync');
  serveShared(init, host, suspend);
}

function startTask(k: KernelInstance, a: TaskAssignment): void {
  k.userModule = a.image?.module ?? null;
  k.userMemory = a.image?.memory ?? null;
  k.userLimits = a.image?.limits ?? null;
  k.exports.__stack_pointer.value = a.stackTop;
  k.exports.__wasm_init_tls(a.tlsBlock);
  const sp = k.exports.wasm_task_entry(a.task);
  runUser(k, a.stackTop, sp >>> 0);
}

/**
 * Run tasks on this worker's kernel instance for as long as the machine
 * keeps it: when a task dies, the worker becomes a spare and waits for the
 * next assignment, so most new tasks cost no thread start at all.
 */
function serveTasks(k: KernelInstance, host: WorkerHost, first: TaskAssignment | null): void {
  const run = (a: TaskAssignment): void => {
    const ended = guard(host, () => startTask(k, a));
    if (ended === 'exited') {
      k.forgetUser();
      // Idle until the next task: clear the memories that came back now.
      k.tidyMemories();
      host.onAssignment(run);
    }
  };
  if (first) run(first);
  else host.onAssignment(run);
}

function runTask(init: TaskInit, host: WorkerHost): void {
  serveTasks(new KernelInstance(init, host), host, init);
}

/** A spare: instantiate now, run whatever task the machine assigns later. */
function runPool(init: PoolInit, host: WorkerHost): void {
  serveTasks(new KernelInstance(init, host), host, null);
}

/**
 * Sleep until the earliest CPU timer deadline passes, raise the timer
 * interrupt on every CPU whose deadline has passed, repeat. A CPU changing
 * its deadline bumps wasm_timer_seq, which wakes this loop to look again.
 */
function runTimer(init: TimerInit): never {
  const buf = init.memory.buffer as unknown as SharedArrayBuffer;
  const i32 = new Int32Array(buf);
  const i64 = new BigInt64Array(buf);
  const seqIdx = init.symbols.wasm_timer_seq >> 2;
  const cpus = Array.from({ length: init.cpus }, (_, cpu) => ({
    deadline: (init.symbols.wasm_cpus + cpu * CPU_SIZE + CPU_TIMER_DEADLINE) >> 3,
    pending: cpuIrqPending(init.symbols.wasm_cpus, cpu),
  }));
  for (;;) {
    const seq = Atomics.load(i32, seqIdx);
    let next = -1n;
    let fired = false;
    const now = BigInt(Math.floor(clockNs(init.clockOriginMs)));
    for (const cpu of cpus) {
      const deadline = Atomics.load(i64, cpu.deadline);
      if (deadline < 0n) continue;
      if (now >= deadline) {
        // Unless the CPU set a new deadline meanwhile.
        if (Atomics.compareExchange(i64, cpu.deadline, deadline, -1n) === deadline) {
          raiseIrq(i32, cpu.pending, IRQ_TIMER);
        }
        fired = true;
      } else if (next < 0n || deadline < next) next = deadline;
    }
    if (fired) continue;
    const timeout = next < 0n ? Infinity : Number(next - now) / 1e6;
    Atomics.wait(i32, seqIdx, seq, timeout);
  }
}

/** Run fn, turning how a task ends into the message the machine expects. */
function guard(host: WorkerHost, fn: () => void): 'exited' | 'crashed' | 'returned' {
  try {
    fn();
    return 'returned';
  } catch (err) {
    if (err instanceof TaskExit) {
      host.post({ type: 'exited' });
      return 'exited';
    }
    host.post({ type: 'crash', message: describe(err) });
    return 'crashed';
  }
}

/** Entry point of every worker, whatever the platform. */
export function runWorker(init: WorkerInit, host: WorkerHost): void {
  guard(host, () => {
    if (init.role === 'timer') runTimer(init);
    else if (init.role === 'boot') runBoot(init, host);
    else if (init.role === 'pool') runPool(init, host);
    else if (init.role === 'shared') runShared(init, host);
    else runTask(init, host);
  });
}
