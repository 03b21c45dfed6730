// The one list of what crosses between the wasm modules and the host.
//
// Kernel side: vmlinux.wasm imports the functions of KernelHostImports from
// module "host" (declared in kernel/arch/wasm/include/asm/host.h) and the
// shared memory as "env" "memory"; it exports KernelExports. User side: a
// program imports its memory as "env" "memory" and the system call entry as
// "linux" "syscall", and exports _start. Keep this file and host.h in step.

/** Module name of the kernel's host imports. */
export const HOST_MODULE = 'host';

/** Functions the host provides to every vmlinux instance. Pointers are kernel addresses. */
export interface KernelHostImports {
  console_write(buf: number, len: number): void;
  clock_ns(): number;
  wallclock_s(): number;
  random(buf: number, len: number): void;
  /**
   * home: the CPU whose worker takes the task, HOME_KTHREADS for the kernel
   * threads' shared worker, or -1 for a worker of its own.
   */
  spawn_task(task: number, stackTop: number, tlsBlock: number, mm: number, home: number): void;
  /**
   * memory.atomic.wait32 on the kernel word at addr, timeoutNs -1 for none:
   * 0 woken, 1 not equal, 2 timed out. A task sharing its worker is
   * suspended instead of blocking it (WebAssembly.Suspending).
   */
  wait(addr: number, expect: number, timeoutNs: bigint): number;
  task_exit(): never;
  /** Write the worker's call stack as text at buf (at most len bytes); returns the length. */
  dump_stack(buf: number, len: number): number;
  /** Write the worker's last user trap (message, innermost frame) at buf (at most len bytes); returns the length. */
  user_trap(buf: number, len: number): number;
  /** The OOM killer's victim (pid, name at comm in kernel memory) is ending. */
  oom_killed(pid: number, comm: number): void;
  halt(status: number, msg: number): never;
  copy_from_user(to: number, from: number, n: number): number;
  copy_to_user(to: number, from: number, n: number): number;
  clear_user(to: number, n: number): number;
  strnlen_user(s: number, n: number): number;
  strncpy_from_user(dst: number, src: number, n: number): number;
  /** key: WASM_IMAGE_KEY_WORDS u32 words; image 0 = only look in the cache (-ENOENT on a miss). */
  exec_prepare(image: number, len: number, key: number): number;
  exec_commit(mm: number): number;
  mm_release(mm: number): void;
  exec_restart(sp: number): never;
  /** Write to the host's stdout (1) or stderr (2); 0, or -EPIPE if nobody reads it. */
  stdio_write(stream: number, buf: number, len: number): number;
  /** The index of the host's 9P export named by tag (in kernel memory), or -ENOENT. */
  p9_open(tag: number, len: number): number;
  /**
   * Hand a T-message to the host's 9P server for export, which writes the
   * R-message at rc (at most rcCap bytes). A local export answers at once:
   * the R-message's length. A remote one answers later, queueing
   * (chan, req, length) in wasm_p9_done and raising IRQ_9P: -EINPROGRESS.
   */
  p9_request(
    chan: number,
    exportIndex: number,
    tc: number,
    tcLen: number,
    req: number,
    rc: number,
    rcCap: number,
  ): number;
  /** The 9P channel chan is closed (unmounted). */
  p9_close(chan: number): void;
  /** The current program's __stack_pointer, or 0 if it cannot run signal handlers. */
  user_sp(): number;
  /**
   * Run a signal handler through the program's USER_SIGNAL_ENTRY with its
   * stack below frameSp; returns 0, the signal for a trap in it, or
   * SIGNAL_JUMPED when it left by longjmp.
   */
  user_signal(
    handler: number,
    sig: number,
    info: number,
    uc: number,
    frameSp: number,
    siginfo: number,
  ): number;
  /**
   * One atomic FUTEX_OP_* (SET, ADD, OR, ANDN, XOR) with arg on the user
   * word at uaddr; its previous value goes to old (kernel memory). 0, or
   * -EFAULT for an address outside the memory or not 4-byte aligned.
   */
  futex_op(op: number, uaddr: number, arg: number, old: number): number;
  /** Atomic compare-exchange of the user word at uaddr; as futex_op. */
  futex_cmpxchg(uaddr: number, oldval: number, newval: number, old: number): number;
  /** 1 if the current process's memory can be used by other workers (a clone can run), else 0. */
  user_memory_shared(): number;
  /**
   * fork: process mm gets a copy of the current process's memory, running
   * the same program. 0, -EAGAIN (a memory only this worker can use) or
   * -ENOMEM.
   */
  fork_memory(mm: number): number;
}

/** What vmlinux.wasm exports to the host. */
export interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  __wasm_init_tls(block: number): void;
  wasm_start_kernel(): void;
  /** Runs a new task; returns the user stack pointer when it enters user mode. */
  wasm_task_entry(task: number): number;
  wasm_syscall(
    nr: number,
    a0: bigint,
    a1: bigint,
    a2: bigint,
    a3: bigint,
    a4: bigint,
    a5: bigint,
  ): number;
  /** Reports a trap in user code; returns a user stack pointer if a new program must start. */
  wasm_user_fault(sig: number): number;
}

export const KERNEL_EXPORT_FUNCTIONS = [
  '__wasm_init_tls',
  'wasm_start_kernel',
  'wasm_task_entry',
  'wasm_syscall',
  'wasm_user_fault',
] as const;

/** Data symbols whose addresses the host needs (exported as globals, recorded by the post-link step). */
export const KERNEL_SYMBOLS = [
  'init_stack',
  'wasm_boot_sp',
  'wasm_boot_tls',
  'wasm_boot_cmdline',
  'wasm_initrd_start',
  'wasm_initrd_size',
  'wasm_cpus',
  'wasm_boot_cpus',
  'wasm_host_tso',
  'wasm_host_stack_switching',
  'wasm_timer_seq',
  'wasm_console_in',
  'wasm_console_winsize',
  'wasm_stdin_in',
  'wasm_p9_done',
  'wasm_net',
  'wasm_mm_live',
  '__heap_base',
] as const;
export type KernelSymbol = (typeof KERNEL_SYMBOLS)[number];
export type KernelSymbols = Record<KernelSymbol, number>;

/** Statuses of host.halt(). */
export const HALT_POWER_OFF = 0;
export const HALT_PANIC = 1;
export const HALT_RESTART = 2;

/** host.user_signal()'s result when the handler left by longjmp rather than returning. */
export const SIGNAL_JUMPED = 256;

/** Interrupt lines: bits of a CPU's irq_pending word. */
export const IRQ_TIMER = 0;
export const IRQ_CONSOLE = 1;
export const IRQ_STDIN = 2;
export const IRQ_9P = 3;
/** Between CPUs; the host never raises it. */
export const IRQ_IPI = 4;
/** The Ethernet device: frames in rx, room in tx, or a link change. */
export const IRQ_NET = 5;

/**
 * struct wasm_cpu (asm/host.h): what the host shares with each CPU, one per
 * possible CPU in the array wasm_cpus. NR_CPUS is the most the kernel can
 * run; how many it runs, the host writes into wasm_boot_cpus before boot.
 */
export const NR_CPUS = 16;
/** spawn_task's home for kernel threads bound to no CPU: their shared worker. */
export const HOME_KTHREADS = 16;
export const CPU_SIZE = 64;
export const CPU_IRQ_PENDING = 0;
export const CPU_USER_MM = 12;
export const CPU_USER_SEQ = 16;
export const CPU_TIMER_DEADLINE = 24;

/** Address of CPU cpu's irq_pending word, where devices raise interrupts (CPU 0). */
export function cpuIrqPending(cpus: number, cpu: number): number {
  return cpus + cpu * CPU_SIZE + CPU_IRQ_PENDING;
}

/** Raise interrupt line irq: set its bit in a CPU's irq_pending word and wake the CPU if idle. */
export function raiseIrq(i32: Int32Array, pendingAddr: number, irq: number): void {
  Atomics.or(i32, pendingAddr >> 2, 1 << irq);
  Atomics.notify(i32, pendingAddr >> 2);
}

/**
 * wasm_mm_live (asm/mmu_context.h): per slot, how many mms live whose
 * host_id is the slot's number modulo MM_LIVE_SLOTS.
 */
export const MM_LIVE_SLOTS = 4096;

/** struct wasm_p9_done_ring (asm/host.h): head, tail, then (chan, req, len) slots. */
export const P9_DONE_HEAD = 0;
export const P9_DONE_TAIL = 4;
export const P9_DONE_SLOT = 8;
export const P9_DONE_SLOT_SIZE = 12;
export const P9_DONE_CHAN = 0;
export const P9_DONE_REQ = 4;
export const P9_DONE_LEN = 8;
export const P9_DONE_SLOTS = 256;

/**
 * struct wasm_net (asm/host.h): the Ethernet device's two rings of frames
 * (a u32 length, the bytes, padding to 4) and what the host says before
 * boot (present, mtu, mac) and on a change of link (then IRQ_NET).
 */
export const NET_PRESENT = 0;
export const NET_LINK = 4;
export const NET_MTU = 8;
export const NET_MAC = 12;
export const NET_TX = 20;
export const NET_RX = NET_TX + 16 + (1 << 20);
/** struct wasm_net_ring: head and tail count bytes; the flags ask the other side for a wake-up. */
export const NET_RING_HEAD = 0;
export const NET_RING_TAIL = 4;
export const NET_RING_CONSUMER_IDLE = 8;
export const NET_RING_PRODUCER_FULL = 12;
export const NET_RING_DATA = 16;
export const NET_RING_SIZE = 1 << 20;
/** The largest frame either side may put in a ring. */
export const NET_FRAME_MAX = 65536;

/**
 * The word in every program's memory that its loops poll for preemption
 * (WASM_USER_PREEMPT_ADDR in arch/wasm/include/asm/wasm.h, crt1.c,
 * tools/wasm/preempt.ts).
 */
export const USER_PREEMPT_ADDR = 512;

/** The console's input ring (struct wasm_console_ring in asm/host.h). */
export const CONSOLE_RING_HEAD = 0;
export const CONSOLE_RING_TAIL = 4;
export const CONSOLE_RING_DATA = 8;
export const CONSOLE_RING_SIZE = 4096;
/** The host stdin ring (struct wasm_stdin_ring in asm/host.h). */
export const STDIN_RING_HEAD = 0;
export const STDIN_RING_TAIL = 4;
export const STDIN_RING_EOF = 8;
export const STDIN_RING_DATA = 16;
export const STDIN_RING_SIZE = 65536;
/** struct wasm_console_winsize (asm/host.h): rows << 16 | cols in size, then seq bumped. */
export const WINSIZE_SEQ = 0;
export const WINSIZE_SIZE = 4;

/** Size of the kernel's command line buffer (COMMAND_LINE_SIZE). */
export const COMMAND_LINE_SIZE = 512;

/**
 * Offsets in the pt_regs block at a task's stack top (asm/ptrace.h; checked
 * against the kernel's own at load time, see KERNEL_ABI). syscall_nr is -1
 * while the task runs user code.
 */
export const PT_REGS_SYSCALL_NR = 0;
export const PT_REGS_SP = 60;
export const PT_REGS_PC = 64;
export const PT_REGS_TLS = 72;

/** pt_regs.pc: how user code starts (WASM_ENTRY_* in asm/ptrace.h). */
export const ENTRY_START = 0;
export const ENTRY_CLONE = 1;

/** Names of the user program's imports and exports. */
export const USER_MEMORY = { module: 'env', name: 'memory' } as const;
export const USER_SYSCALL = { module: 'linux', name: 'syscall' } as const;
export const USER_ENTRY = '_start';
/** Optional export: where a clone()d child starts, (sp, tls) -> never returns. */
export const USER_CLONE_ENTRY = '__wasm_clone_entry';
/**
 * Optional exports for signal handlers: the entry (handler, sig, info, uc,
 * siginfo) -> void, which calls the handler and then rt_sigreturn(uc), and
 * the stack pointer global, so that the handler runs below the interrupted
 * code's stack.
 */
export const USER_SIGNAL_ENTRY = '__wasm_sigentry';
export const USER_STACK_POINTER = '__stack_pointer';
/**
 * Optional exports: the bounds of the main stack (wasm-ld's symbols). A
 * fork copies none of the stack below the caller's stack pointer when that
 * is on the main stack: what lies there is dead.
 */
export const USER_STACK_LOW = '__stack_low';
export const USER_STACK_HIGH = '__stack_high';
/**
 * setjmp/longjmp (docs/setjmp.md), optional: longjmp's throw, and the tag
 * it throws, which the invokes wasmlinux-cc adds to a program that calls
 * setjmp catch (tools/wasm/invokes.ts). Those replace clang's
 * env.invoke_<sig> imports, which the host does not serve.
 */
export const USER_LONGJMP = { module: 'linux', name: 'longjmp' } as const;
export const USER_LONGJMP_TAG = { module: 'linux', name: 'longjmp_tag' } as const;
/** clang's invoke imports: env.invoke_<result type><parameter types>. */
const USER_INVOKE_NAME = /^invoke_[vijfd][ijfd]*$/;

/** Whether an import is one of clang's invokes (one test for the build and the host). */
export function isUserInvoke(module: string, name: string): boolean {
  return module === 'env' && USER_INVOKE_NAME.test(name);
}

/** Words in an exec image key (asm/host.h): device, inode, ctime s and ns, size. */
export const IMAGE_KEY_WORDS = 5;

/** FUTEX_OP_* of FUTEX_WAKE_OP (linux/futex.h), for futex_op. */
export const FUTEX_OP_SET = 0;
export const FUTEX_OP_ADD = 1;
export const FUTEX_OP_OR = 2;
export const FUTEX_OP_ANDN = 3;
export const FUTEX_OP_XOR = 4;

/** Signals the host reports for user traps. */
export const SIGILL = 4;
export const SIGFPE = 8;
export const SIGSEGV = 11;

/** exit_group in the generic syscall table. */
export const NR_EXIT_GROUP = 94;

/**
 * The values above that the kernel has too, named as in
 * arch/wasm/kernel/asm-offsets.c (WASM_ABI_<name>). The kernel build records
 * what the compiler made of them in the image's layout section, and loading
 * refuses a kernel that disagrees with this runtime on any of them.
 */
export const KERNEL_ABI: Readonly<Record<string, number>> = {
  PT_REGS_SYSCALL_NR,
  PT_REGS_SP,
  PT_REGS_PC,
  PT_REGS_TLS,
  ENTRY_START,
  ENTRY_CLONE,
  HALT_POWER_OFF,
  HALT_PANIC,
  HALT_RESTART,
  SIGNAL_JUMPED,
  IRQ_TIMER,
  IRQ_CONSOLE,
  IRQ_STDIN,
  IRQ_9P,
  IRQ_IPI,
  IRQ_NET,
  NR_CPUS,
  HOME_KTHREADS,
  CPU_SIZE,
  CPU_IRQ_PENDING,
  CPU_USER_MM,
  CPU_USER_SEQ,
  CPU_TIMER_DEADLINE,
  CONSOLE_RING_HEAD,
  CONSOLE_RING_TAIL,
  CONSOLE_RING_DATA,
  CONSOLE_RING_SIZE,
  STDIN_RING_HEAD,
  STDIN_RING_TAIL,
  STDIN_RING_EOF,
  STDIN_RING_DATA,
  STDIN_RING_SIZE,
  WINSIZE_SEQ,
  WINSIZE_SIZE,
  P9_DONE_HEAD,
  P9_DONE_TAIL,
  P9_DONE_SLOT,
  P9_DONE_SLOT_SIZE,
  P9_DONE_CHAN,
  P9_DONE_REQ,
  P9_DONE_LEN,
  P9_DONE_SLOTS,
  NET_PRESENT,
  NET_LINK,
  NET_MTU,
  NET_MAC,
  NET_TX,
  NET_RX,
  NET_RING_HEAD,
  NET_RING_TAIL,
  NET_RING_CONSUMER_IDLE,
  NET_RING_PRODUCER_FULL,
  NET_RING_DATA,
  NET_RING_SIZE,
  NET_FRAME_MAX,
  USER_PREEMPT_ADDR,
  IMAGE_KEY_WORDS,
  MM_LIVE_SLOTS,
  COMMAND_LINE_SIZE,
};
