// The embedding API: a wasmlinux machine in a web page.
//
//   const vm = new WasmLinux({ onProgress: (p) => console.log(p) });
//   await vm.boot();
//   vm.attach(terminal);          // an xterm.js Terminal, or anything alike
//   await vm.exited;              // power-off, panic or crash
//
// The same platform-neutral core as `npx wasmlinux` (src/core) runs the
// machine; this file only fetches the images, starts Web Workers and moves
// bytes between the console and the page.

import {
  AgentReplyDecoder,
  getRequest,
  putRequest,
  runRequest,
  shellStatus,
  type AgentReply,
} from '../core/agent-protocol.js';
import { Errno } from '../core/errno.js';
import { kernelImageFromModule } from '../core/kernel-image.js';
import { defaultCpus, Machine, type MachineExit } from '../core/machine.js';
import {
  DEFAULT_NET_MOUNT,
  mountsCmdline,
  parseMountSpec,
  type MountSpec,
} from '../core/mounts.js';
import type { InspectRequest, InspectResult } from '../core/ninep/inspect.js';
import type { LocalExportSpec } from '../core/ninep/local-server.js';
import { webSocketExport } from '../core/ninep/ws-client.js';
import type { NinePExport } from '../core/p9-host.js';
import { guestNetCmdline } from '../core/net-config.js';
import type { FrameLink } from '../core/net-host.js';
import { connectRelay, type RelayHello } from '../core/net-ws.js';
import { OutputRing } from '../core/output-ring.js';
import { browserPlatform, hostHasTotalStoreOrder, type BrowserPlatform } from './platform.js';

export type BootPhase = 'download' | 'compile' | 'boot';

export interface BootProgress {
  readonly phase: BootPhase;
  /** Bytes so far and in all (0 when unknown), while downloading. */
  readonly loaded?: number;
  readonly total?: number;
}

export interface WasmLinuxOptions {
  /** Where the kernel and the initramfs are (default: beside this script). */
  readonly kernelUrl?: string | URL;
  readonly initrdUrl?: string | URL;
  /** The worker script (default: worker.js beside this script). */
  readonly workerUrl?: URL;
  /** Kernel memory in MiB (default 128). */
  readonly memoryMiB?: number;
  /**
   * Virtual CPUs, 1 to NR_CPUS (default: navigator.hardwareConcurrency, at
   * most DEFAULT_CPUS_MAX). Each CPU running guest code takes a host thread.
   */
  readonly cpus?: number;
  /** More kernel command line. */
  readonly cmdline?: string;
  /**
   * 9P servers to mount at boot, as `ws://HOST:PORT/?token=T[:GUEST][:ro]`
   * (a `wasmlinux serve-9p` server or its bridge); see parseMountSpec. The
   * first without a guest path goes to /mnt/net, the next to /mnt/net1, …
   */
  readonly mounts?: readonly string[];
  /**
   * A network for the guest's eth0: the ws:// URL of a `wasmlinux
   * serve-net` relay, `ws://HOST:PORT/?token=T`. Without it the guest has
   * only its loopback device. boot() fails if the relay refuses.
   */
  readonly net?: string;
  /**
   * Keep /root in this site's origin-private file system, so that files
   * there survive a reload and a browser restart (default true). One tab at
   * a time has it: another gets a /root in memory, and says so on the
   * console. Without an origin-private file system, /root is in memory.
   */
  readonly persist?: boolean;
  readonly onProgress?: (p: BootProgress) => void;
}

/** Where the home is kept in the origin-private file system, and the Web Lock that guards it. */
const HOME_DIR = 'wasmlinux-home';
const HOME_LOCK = 'wasmlinux-home';
/** How long resetHome() waits for a stopped machine's handles to be let go (ms). */
const RESET_WAIT_MS = 5000;

/** What /root is: kept across reloads, in memory (gone with the tab), or not mounted. */
export type HomeKind = 'kept' | 'memory' | 'off';

/** What attach() needs of a terminal; an xterm.js Terminal has all of it. */
export interface TerminalLike {
  write(data: Uint8Array): void;
  onData(callback: (data: string) => void): { dispose(): void };
  onResize?(callback: (size: { rows: number; cols: number }) => void): { dispose(): void };
  readonly rows?: number;
  readonly cols?: number;
}

/** Why this browser cannot run the machine, or null if it can. */
export function unsupportedReason(): string | null {
  if (typeof WebAssembly !== 'object') return 'this browser has no WebAssembly';
  if (typeof SharedArrayBuffer !== 'function' || !globalThis.crossOriginIsolated) {
    return (
      'the page is not cross-origin isolated, so SharedArrayBuffer (wasm threads) is off. ' +
      'The server must send "Cross-Origin-Opener-Policy: same-origin" and ' +
      '"Cross-Origin-Embedder-Policy: require-corp" with the page.'
    );
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this browser cannot make a shared WebAssembly memory (wasm threads)';
  }
  return null;
}

/**
 * The mounts option checked and named (host0, host1, …); throws an Error
 * saying which one is wrong and why. A page has no host directories: only
 * ws:// and wss:// servers.
 */
export function parseMounts(specs: readonly string[]): MountSpec[] {
  return specs.map((text, i) => {
    const m = parseMountSpec(text, i, i === 0 ? DEFAULT_NET_MOUNT : `${DEFAULT_NET_MOUNT}${i}`);
    if (!m.remote) throw new Error(`${text}: a page can mount only ws:// or wss:// servers`);
    return m;
  });
}

/** Read a response's body to the end, reporting bytes as they arrive. */
async function readAll(
  res: Response,
  onLoaded: (n: number, total: number) => void,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) throw new Error(`no body in the response for ${res.url}`);
  // A compressed body's length says nothing about the bytes we will count.
  const total = res.headers.get('content-encoding')
    ? 0
    : Number(res.headers.get('content-length')) || 0;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onLoaded(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function fetchOk(url: string | URL): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${String(url)}: HTTP ${res.status}`);
  return res;
}

/** What run() gives back: the shell's exit status and what it printed. */
export interface RunResult {
  /** As a shell's $?: the exit code, or 128 + the signal that killed it. */
  readonly status: number;
  /** stdout and stderr together, as bytes and as UTF-8 text. */
  readonly bytes: Uint8Array;
  readonly output: string;
}

export class WasmLinux {
  private machine: Machine | null = null;
  private readonly ring = new OutputRing(1 << 20);
  private readonly agentRing = new OutputRing(1 << 20);
  private nextId = 1;
  private sendChain: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<number, (r: AgentReply) => void>();
  private readonly downloads = new Set<(name: string, data: Uint8Array) => void>();
  private agentReady: () => void = () => {};
  private readonly agentHello = new Promise<void>((r) => (this.agentReady = r));
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  /** What boot() said (which /root this is, say): each new listener hears it first. */
  private readonly bootNotices: Uint8Array[] = [];
  private booted = false;
  private releaseHome: (() => void) | null = null;
  private home_: HomeKind = 'off';
  private platform: BrowserPlatform | null = null;
  private readonly inspecting = new Map<number, (r: InspectResult) => void>();
  private resolveExit: (e: MachineExit) => void = () => {};
  /** Settles when the machine stops: power-off, restart, panic or crash. */
  readonly exited: Promise<MachineExit> = new Promise((r) => (this.resolveExit = r));

  constructor(private readonly opts: WasmLinuxOptions = {}) {}

  /** Download and compile the kernel, then start it. Resolves once it runs. */
  async boot(): Promise<void> {
    const why = unsupportedReason();
    if (why) throw new Error(why);
    // Before any download: a bad mount is the caller's to fix at once.
    const mounts = parseMounts(this.opts.mounts ?? []);
    const say = (text: string): void => {
      const bytes = new TextEncoder().encode(`\r\nwasmlinux: ${text}\r\n`);
      if (!this.booted) this.bootNotices.push(bytes);
      for (const l of this.listeners) l(bytes);
    };
    const home = this.opts.persist === false ? null : await this.claimHome(say);
    try {
      await this.start(mounts, home, say);
    } catch (err) {
      // A machine that never ran lets the home go to the next page.
      this.releaseHome?.();
      this.releaseHome = null;
      throw err;
    }
  }

  private async start(
    mounts: readonly MountSpec[],
    home: LocalExportSpec | null,
    say: (text: string) => void,
  ): Promise<void> {
    const progress = this.opts.onProgress ?? (() => {});
    const base = new URL('.', import.meta.url);
    const kernelUrl = this.opts.kernelUrl ?? new URL('vmlinux.wasm', base);
    const initrdUrl = this.opts.initrdUrl ?? new URL('initramfs.cpio', base);
    let kLoaded = 0;
    let kTotal = 0;
    let iLoaded = 0;
    let iTotal = 0;
    const report = (): void =>
      progress({ phase: 'download', loaded: kLoaded + iLoaded, total: kTotal + iTotal });
    const tso = hostHasTotalStoreOrder();
    // The relay's answer comes while the kernel downloads.
    const relay = this.opts.net
      ? connectRelay(this.opts.net, (url) => new WebSocket(url))
      : Promise.resolve(null);
    relay.catch(() => {});
    const [kernelRes, initrdRes] = await Promise.all([fetchOk(kernelUrl), fetchOk(initrdUrl)]);
    // Streaming compilation of the response itself, so that the browser can
    // also cache the compiled code; a clone of it counts the bytes.
    const compiled = WebAssembly.compileStreaming(kernelRes.clone());
    compiled.catch(() => {}); // awaited below, after the download
    const [kernelBytes, initrd] = await Promise.all([
      readAll(kernelRes, (n, t) => {
        kLoaded = n;
        kTotal = t;
        report();
      }),
      readAll(initrdRes, (n, t) => {
        iLoaded = n;
        iTotal = t;
        report();
      }),
    ]);
    progress({ phase: 'compile' });
    let module: WebAssembly.Module;
    try {
      module = await compiled;
    } catch (err) {
      throw new Error(`${String(kernelUrl)} is not a usable kernel: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const kernel = kernelImageFromModule(module, String(kernelUrl), kernelBytes.length);
    let net: { link: FrameLink; hello: RelayHello } | null;
    try {
      net = await relay;
    } catch (err) {
      throw new Error(`network: ${(err as Error).message}`, { cause: err });
    }
    progress({ phase: 'boot' });
    const workerUrl = this.opts.workerUrl ?? new URL('worker.js', import.meta.url);
    const ninepUrl = new URL('ninep-worker.js', workerUrl);
    const homeMount: MountSpec[] = home
      ? // Cached: only this guest changes its home (the Web Lock sees to that).
        [{ tag: 'home', source: '', guest: '/root', readOnly: false, cache: true, remote: false }]
      : [];
    const exports: NinePExport[] = [
      ...mounts.map((m) => webSocketExport(m.tag, m.source, (url) => new WebSocket(url))),
      ...(home ? [{ tag: 'home', local: home }] : []),
    ];
    const platform = browserPlatform(
      workerUrl,
      this.ring.buffer,
      this.agentRing.buffer,
      await tso,
      {
        url: ninepUrl,
        onNotice: (text) => {
          this.home_ = 'memory';
          say(text);
        },
        onInspected: (id, result) => {
          this.inspecting.get(id)?.(result);
          this.inspecting.delete(id);
        },
      },
    );
    this.platform = platform;
    const machine = new Machine(platform, {
      kernel,
      // xterm.js is an xterm: colours, title, keys.
      // WASMLINUX_AGENT: /sbin/init starts the agent behind run() and files.
      cmdline: [
        'loglevel=0',
        'TERM=xterm-256color',
        'WASMLINUX_AGENT=1',
        mountsCmdline([...mounts, ...homeMount]),
        net ? guestNetCmdline(net.hello.guest, 'static', net.hello.mtu) : '',
        this.opts.cmdline ?? '',
      ]
        .filter(Boolean)
        .join(' '),
      initrd,
      memoryBytes: (this.opts.memoryMiB ?? 128) << 20,
      cpus: this.opts.cpus ?? defaultCpus(navigator.hardwareConcurrency),
      p9Exports: exports,
      ...(net
        ? {
            net: {
              link: net.link,
              mtu: net.hello.mtu,
              onClosed: (reason: string) => say(`network: ${reason}; eth0 has lost its link`),
            },
          }
        : {}),
      // The kernel log is hidden: say it on the console, where the user looks.
      onOomKill: (v) =>
        say(
          `out of memory: the kernel killed process ${v.pid} (${v.name}); ` +
            `give the machine more memory (memoryMiB, now ${this.opts.memoryMiB ?? 128})`,
        ),
    });
    this.machine = machine;
    this.booted = true;
    this.ring.drain((bytes) => {
      for (const l of this.listeners) l(bytes);
    });
    const decoder = new AgentReplyDecoder((r) => this.onAgentReply(r));
    this.agentRing.drain((bytes) => decoder.push(bytes));
    void machine.run().then((e) => {
      // The 9P server thread is gone, and with it the home's handles.
      this.releaseHome?.();
      this.releaseHome = null;
      for (const r of this.inspecting.values()) r({ ok: false, errno: Errno.EIO });
      this.inspecting.clear();
      this.ring.close();
      this.agentRing.close();
      for (const w of this.waiting.values())
        w({ kind: 'err', id: 0, message: 'the machine stopped' });
      this.waiting.clear();
      this.resolveExit(e);
    });
  }

  /**
   * Takes the home's Web Lock for as long as the machine runs, and says
   * what /root will be: the export of the kept home, one in memory (another
   * tab has the home, or there is no origin-private file system), or null.
   */
  private async claimHome(say: (text: string) => void): Promise<LocalExportSpec> {
    const memory: LocalExportSpec = { kind: 'memory', readOnly: false };
    if (typeof navigator.storage?.getDirectory !== 'function') {
      say(
        'this browser has no origin-private file system: /root is in memory and goes with the page',
      );
      this.home_ = 'memory';
      return memory;
    }
    if (!(await this.lockHome())) {
      say(
        'the home is in use in another tab of this site: here /root is in memory and goes with the tab',
      );
      this.home_ = 'memory';
      return memory;
    }
    this.home_ = 'kept';
    return { kind: 'home', readOnly: false, name: HOME_DIR };
  }

  /** Takes the home's Web Lock if no one has it; true if taken (released by releaseHome). */
  private lockHome(): Promise<boolean> {
    const locks = navigator.locks as LockManager | undefined;
    // Without Web Locks, the handles' own exclusivity still keeps a second tab out.
    if (!locks) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      locks
        .request(HOME_LOCK, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(false);
            return null;
          }
          resolve(true);
          return new Promise<void>((r) => (this.releaseHome = r));
        })
        .catch(reject);
    });
  }

  /** What /root is in this machine (known once boot() has resolved). */
  get home(): HomeKind {
    return this.home_;
  }

  /**
   * Empties the kept home of this site. The machine must not be running
   * (shutdown(), then wait for `exited`), and no other tab may have it.
   */
  async resetHome(): Promise<void> {
    if (this.machine && this.releaseHome)
      throw new Error('the machine is running: shut it down before resetting the home');
    if (!(await this.lockHome())) throw new Error('the home is in use in another tab of this site');
    try {
      const root = await navigator.storage.getDirectory();
      const until = performance.now() + RESET_WAIT_MS;
      for (;;) {
        try {
          await root.removeEntry(HOME_DIR, { recursive: true });
          return;
        } catch (err) {
          const name = (err as { name?: string }).name;
          if (name === 'NotFoundError') return;
          // The stopped machine's 9P thread may not have let its handles go yet.
          if (name !== 'NoModificationAllowedError' || performance.now() > until)
            throw new Error(`cannot reset the home: ${(err as Error).message}`, { cause: err });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      this.releaseHome?.();
      this.releaseHome = null;
    }
  }

  /**
   * A look at the home from outside the guest (read, write, lstat,
   * readlink or unlink a path in it), made by the 9P server thread between
   * the guest's calls. For tests that check what the guest's operations
   * left in the storage. The guest caches the home's names, attributes and
   * data, so what is changed here may not show in the guest at once.
   */
  async inspectHome(request: InspectRequest): Promise<InspectResult> {
    const id = this.nextId++;
    const result = new Promise<InspectResult>((r) => this.inspecting.set(id, r));
    if (this.home_ === 'off' || !this.platform?.inspectHome({ kind: 'inspect', id, request })) {
      this.inspecting.delete(id);
      throw new Error('no home to look at: the machine is not running with one');
    }
    return result;
  }

  /** The home (/root) as a tar file, made by the guest's tar. */
  async exportHome(): Promise<Uint8Array> {
    const tmp = '/tmp/.wasmlinux-home-export.tar';
    const made = await this.run(`tar -C /root -cf ${tmp} . 2>&1`);
    try {
      if (made.status !== 0) throw new Error(`cannot export the home: ${made.output.trim()}`);
      return await this.readFile(tmp);
    } finally {
      await this.run(`rm -f ${tmp}`);
    }
  }

  /** Unpacks a tar file (from exportHome(), or any) into the home, over what is there. */
  async importHome(
    tar: Uint8Array,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<void> {
    const tmp = '/tmp/.wasmlinux-home-import.tar';
    await this.writeFile(tmp, tar, onProgress ? { onProgress } : {});
    const r = await this.run(`tar -C /root -xf ${tmp} 2>&1; s=$?; rm -f ${tmp}; exit $s`);
    if (r.status !== 0) throw new Error(`cannot import into the home: ${r.output.trim()}`);
  }

  /** Console output, as it comes. Returns a function that stops it. */
  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    for (const bytes of this.bootNotices) listener(bytes);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Type into the console. */
  input(data: string | Uint8Array): void {
    this.machine?.input(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  /** The console's window size (the guest gets SIGWINCH). */
  resize(rows: number, cols: number): void {
    this.machine?.resize(rows, cols);
  }

  /** Connect a terminal: its keys to the console, the console to it, its size to the guest. */
  attach(term: TerminalLike): () => void {
    const stopOutput = this.onOutput((b) => term.write(b));
    const keys = term.onData((d) => this.input(d));
    const sizes = term.onResize?.((s) => this.resize(s.rows, s.cols));
    if (term.rows && term.cols) this.resize(term.rows, term.cols);
    return () => {
      stopOutput();
      keys.dispose();
      sizes?.dispose();
    };
  }

  private onAgentReply(r: AgentReply): void {
    if (r.kind === 'hello') {
      this.agentReady();
    } else if (r.kind === 'file' && r.id === 0) {
      for (const l of this.downloads) l(r.name, r.data);
    } else {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      w?.(r);
    }
  }

  /** Send a request (and a body) to the agent; resolves with its reply. */
  private async request(
    id: number,
    head: Uint8Array,
    body?: Uint8Array,
    onSent?: (n: number) => void,
  ): Promise<AgentReply> {
    const machine = this.machine;
    if (!machine) throw new Error('the machine is not running: call boot() first');
    const reply = new Promise<AgentReply>((resolve) => this.waiting.set(id, resolve));
    const send = async (bytes: Uint8Array): Promise<void> => {
      if (!machine.stdin(bytes)) await new Promise<void>((r) => machine.onStdinDrain(r));
    };
    // One request's bytes at a time: the agent reads one stream.
    const sending = this.sendChain.then(async () => {
      await this.agentHello;
      await send(head);
      const CHUNK = 256 << 10;
      for (let at = 0; body && at < body.length; at += CHUNK) {
        await send(body.subarray(at, at + CHUNK));
        onSent?.(Math.min(body.length, at + CHUNK));
      }
    });
    this.sendChain = sending.catch(() => {});
    await sending;
    return reply;
  }

  /** Resolves when the guest can take run(), writeFile() and readFile(). */
  ready(): Promise<void> {
    return this.agentHello;
  }

  /** Run a command with /bin/sh -c in /root; its output and exit status. */
  async run(command: string): Promise<RunResult> {
    const id = this.nextId++;
    const r = await this.request(id, runRequest(id, command));
    if (r.kind !== 'done')
      throw new Error(r.kind === 'err' ? r.message : `unexpected reply ${r.kind}`);
    return {
      status: shellStatus(r.status),
      bytes: r.output,
      output: new TextDecoder().decode(r.output),
    };
  }

  /** Write a file in the guest (relative paths are in /root). */
  async writeFile(
    path: string,
    data: Uint8Array | string,
    opts: { mode?: number; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const id = this.nextId++;
    const head = putRequest(id, path, opts.mode ?? 0o644, bytes.length);
    const r = await this.request(id, head, bytes, (n) => opts.onProgress?.(n, bytes.length));
    if (r.kind !== 'ok')
      throw new Error(r.kind === 'err' ? r.message : `unexpected reply ${r.kind}`);
  }

  /** Read a file from the guest. */
  async readFile(path: string): Promise<Uint8Array> {
    const id = this.nextId++;
    const r = await this.request(id, getRequest(id, path));
    if (r.kind !== 'file')
      throw new Error(r.kind === 'err' ? r.message : `unexpected reply ${r.kind}`);
    return r.data;
  }

  /** Files the guest hands over with `download FILE`. Returns a function that stops it. */
  onDownload(listener: (name: string, data: Uint8Array) => void): () => void {
    this.downloads.add(listener);
    return () => this.downloads.delete(listener);
  }

  /** Stop the machine at once (like pulling the plug). */
  shutdown(): void {
    this.machine?.stop({ kind: 'power-off' });
  }
}
