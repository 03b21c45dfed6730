// `wasmlinux`: boot the kernel in this terminal.

import { readFileSync, existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KernelImageError, loadKernelImage } from '../core/kernel-image.js';
import { NET_FRAME_MAX, NR_CPUS } from '../core/abi.js';
import { defaultCpus, Machine, MachineError, type MachineExit } from '../core/machine.js';
import { mountsCmdline, parseMountSpec, type MountSpec } from '../core/mounts.js';
import type { NinePExport } from '../core/p9-host.js';
import {
  guestNetCmdline,
  guestNetwork,
  parsePublish,
  PublishError,
  type GuestNetwork,
  type PublishSpec,
} from '../core/net-config.js';
import type { MachineNet } from '../core/machine.js';
import {
  checkPublishable,
  hostAddress,
  hostGateway6,
  hostResolver,
  PASST_MTU,
  PasstError,
  startPasst,
} from './passt.js';
import { exitStatusFromRestart, withRunRequest } from '../core/run-request.js';
import { stackSwitching } from '../core/stack-switching.js';
import { parseTcpTarget } from './ninep/bridge.js';
import { serveNineP, webSocketExport, type NinePSource } from './ninep/ws.js';
import { nodePlatform } from './platform.js';
import { DEFAULT_MAX_FRAME_RATE, serveNet, ServeNetError } from './serve-net.js';
import { WebSocket } from 'ws';

import { connectRelay, RelayError, type NetWebSocket } from '../core/net-ws.js';
import { ESCAPE_BYTE, HostTerminal } from './terminal.js';

const USAGE = `Usage: wasmlinux [options] [-- COMMAND [ARG...]]

Boots Linux, compiled to WebAssembly, in this terminal. Without a command it
is an interactive system: a login shell on the console, with line editing,
job control and full-screen programs; 'exit' or 'poweroff' leaves, Ctrl-]
stops the machine at once. Without a command and with input that is not a
terminal, the shell reads its commands from that input (like "-- sh").

With a command, runs it in the guest like "docker run" would: only its
output is shown (add --verbose for the kernel log), standard input is passed
through, and the exit status is the command's (128+N if a signal N killed it).

Options:
  --kernel FILE    kernel image (default: the built vmlinux.wasm)
  --initrd FILE    initramfs, a cpio archive (default: the built one)
  --cmdline TEXT   kernel command line
  --mem SIZE       kernel memory, e.g. 128M or 1G (default: 128M)
  --cpus N         virtual CPUs, 1 to 16 (default: the host's cores, at most 8)
  --mount DIR:GUEST[:ro][:cache]
                   export host directory DIR to the guest over 9P, mounted
                   at GUEST (an absolute path) at boot; repeatable. DIR may
                   be the ws:// URL of a "wasmlinux serve-9p" server. :ro
                   refuses writes; :cache lets the guest cache names and
                   attributes (faster; only when nothing else changes DIR
                   while the guest runs)
  --net MODE       the guest's network: "passt" (the default) gives it eth0,
                   connected through passt (Debian's user-mode network stack:
                   NAT, DNS, no privileges) to the host's network; the host's
                   own loopback services are host.wasmlinux.internal. "none"
                   leaves only the loopback device; ws://HOST:PORT/?token=T
                   uses a "wasmlinux serve-net" relay instead
  --publish [ADDR:]HOSTPORT:GUESTPORT[/udp]
                   forward a host port (on every address, or on ADDR) to a
                   port in the guest, like docker run -p; repeatable
  --dhcp           the guest asks passt's DHCP server for its address
                   (default: it is set at boot, which is quicker)
  --dns ADDR       the host resolver (an IP address) the guest's DNS queries
                   go to (default: the first of the host's /etc/resolv.conf)
  --worker-per-task
                   run every kernel task on a host thread of its own; by
                   default, where the engine can suspend wasm stacks (JSPI:
                   Node 24), kernel threads share a host thread per CPU and
                   one more
  --quiet          do not show the kernel log
  --verbose        show the kernel log (hidden by default)
  -h, --help       show this help

wasmlinux serve-9p DIR [--port 5640] [--host 127.0.0.1] [--token T] [--ro]
serves DIR over 9P on WebSocket, for --mount ws://HOST:PORT/?token=T:/mnt/x.
wasmlinux serve-9p --to tcp://HOST:PORT[/EXPORT] [--port …] [--token T]
forwards instead to an existing 9P server (e.g. diod); EXPORT is the aname
sent when the guest gives none.

wasmlinux serve-net [--port 5641] [--host 127.0.0.1] [--token T]
  [--max-clients 8] [--max-frame-rate 20000] [--allow-private]
gives each WebSocket client (the web page's ?net=ws://HOST:PORT/?token=T)
its own passt. Without --token it listens on loopback only. A client may
send --max-frame-rate frames a second; more are dropped. Clients may not
reach loopback, private or link-local addresses, nor this host's own,
unless --allow-private (for a relay on your own machine).

Exit status without a command: 0 when the guest powers off or reboots, 1
after a kernel panic or crash, 2 for bad options or files, 130 after Ctrl-].`;

class UsageError extends Error {}

/** The build directory beside the package: dist/node/cli.js → ../../build. */
function defaultArtifact(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', 'build', name);
}

function parseSize(text: string): number {
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--mem: cannot read "${text}" as a size (try 128M or 1G)`);
  const unit = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[
    m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'
  ];
  const bytes = Number(m[1]) * unit;
  if (bytes > 4 * 2 ** 30 - 65536) throw new UsageError('--mem: at most 4G minus 64K');
  return bytes;
}

/** --mount DIR:GUEST[:ro][:cache] → a 9P export named hostN, mounted by init at GUEST. */
function parseMount(text: string, index: number): MountSpec {
  let m: MountSpec;
  try {
    m = parseMountSpec(text, index);
  } catch (err) {
    throw new UsageError(`--mount ${(err as Error).message}`);
  }
  if (m.remote) return m;
  const dir = resolve(m.source);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--mount ${text}: ${dir} is not a directory`);
  }
  return { ...m, source: dir };
}

function readInput(path: string, what: string): Uint8Array<ArrayBuffer> {
  if (!existsSync(path)) throw new UsageError(`${what} not found: ${path}`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function exitStatus(exit: MachineExit): number {
  switch (exit.kind) {
    case 'power-off':
      return 0;
    case 'restart':
      return exitStatusFromRestart(exit.command) ?? 0;
    case 'panic':
      process.stderr.write(`wasmlinux: kernel panic: ${exit.message.trimEnd()}\n`);
      return 1;
    case 'crash':
      process.stderr.write(`wasmlinux: the machine crashed: ${exit.message.trimEnd()}\n`);
      return 1;
  }
}

/** `wasmlinux serve-net …`: a network for pages (?net=), a passt per client, until killed. */
async function serveNetCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '5641' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'max-clients': { type: 'string', default: '8' },
      'max-frame-rate': { type: 'string', default: String(DEFAULT_MAX_FRAME_RATE) },
      'allow-private': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new UsageError(`serve-net: --port ${values.port} is not a port number`);
  }
  const maxClients = Number(values['max-clients']);
  if (!/^\d+$/.test(values['max-clients']) || maxClients < 1) {
    throw new UsageError(
      `serve-net: --max-clients ${values['max-clients']} is not a number of clients`,
    );
  }
  const maxFrameRate = Number(values['max-frame-rate']);
  if (!/^\d+$/.test(values['max-frame-rate']) || maxFrameRate < 1) {
    throw new UsageError(
      `serve-net: --max-frame-rate ${values['max-frame-rate']} is not a number of frames a second`,
    );
  }
  let served: { url: string };
  try {
    served = await serveNet({
      port,
      host: values.host,
      token: values.token ?? null,
      maxClients,
      maxFrameRate,
      allowPrivate: values['allow-private'],
      log: (line) => process.stderr.write(`wasmlinux serve-net: ${line}\n`),
    });
  } catch (err) {
    if (err instanceof ServeNetError) throw new UsageError(err.message);
    throw err;
  }
  const query = values.token ? '?token=…' : '';
  process.stdout.write(
    `wasmlinux: serving networks at ${served.url}${query} (a passt per client, at most ${maxClients}; ` +
      `${values['allow-private'] ? "clients may reach this host's loopback and private networks" : 'loopback and private networks refused'})\n`,
  );
  return new Promise<number>(() => {}); // until killed
}

/** `wasmlinux serve-9p DIR …`: serve DIR over 9P on WebSocket until killed. */
async function serve9p(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '5640' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      ro: { type: 'boolean', default: false },
      to: { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`serve-9p: --port ${values.port} is not a port number`);
  }
  let source: NinePSource;
  let what: string;
  if (values.to !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError('serve-9p: give either a directory or --to, not both');
    }
    if (values.ro) {
      throw new UsageError(
        "serve-9p: --ro applies to directories; use the server's own read-only export",
      );
    }
    try {
      source = { kind: 'tcp', target: parseTcpTarget(values.to) };
    } catch (err) {
      throw new UsageError(`serve-9p: --to ${(err as Error).message}`);
    }
    what = `the 9P server at ${values.to}`;
  } else {
    const dir = positionals[0];
    if (positionals.length !== 1 || dir === undefined) {
      throw new UsageError(
        'serve-9p: give exactly one directory to serve, or --to tcp://HOST:PORT',
      );
    }
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(`serve-9p: ${dir} is not a directory`);
    }
    source = { kind: 'dir', dir: resolve(dir), readOnly: values.ro };
    what = resolve(dir) + (values.ro ? ' (read-only)' : '');
  }
  const { url } = await serveNineP({
    source,
    port,
    host: values.host,
    token: values.token ?? null,
  });
  process.stdout.write(`wasmlinux: serving ${what} over 9P at ${url}\n`);
  return new Promise<number>(() => {}); // until killed
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'serve-9p') return serve9p(argv.slice(1));
  if (argv[0] === 'serve-net') return serveNetCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: 'string' },
      initrd: { type: 'string' },
      cmdline: { type: 'string', default: '' },
      mem: { type: 'string', default: '128M' },
      cpus: { type: 'string' },
      mount: { type: 'string', multiple: true, default: [] },
      net: { type: 'string' },
      publish: { type: 'string', multiple: true, default: [] },
      dhcp: { type: 'boolean', default: false },
      dns: { type: 'string' },
      'worker-per-task': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const kernelPath = values.kernel ?? defaultArtifact('vmlinux.wasm');
  const initrdPath = values.initrd ?? defaultArtifact('initramfs.cpio');
  const memoryBytes = parseSize(values.mem);
  // passt starts while the kernel compiles.
  const network = startNetwork(values);
  network.catch(() => {});
  const kernel = await loadKernelImage(readInput(kernelPath, 'kernel image'), kernelPath);
  const cpus =
    values.cpus === undefined ? defaultCpus(availableParallelism()) : Number(values.cpus);
  if (values.cpus !== undefined && (!/^\d+$/.test(values.cpus) || cpus < 1 || cpus > NR_CPUS)) {
    throw new UsageError(`--cpus: "${values.cpus}" is not a number of CPUs from 1 to ${NR_CPUS}`);
  }
  const ttys = {
    stdin: process.stdin.isTTY === true,
    stdout: process.stdout.isTTY === true,
    stderr: process.stderr.isTTY === true,
  };
  // Arguments for init itself ("--cmdline '-- demo'") ask for no command.
  const initArgs = /(^|\s)--(\s|$)/.test(values.cmdline);
  // No command and input that is not a terminal: our system's shell reads
  // it. (Another initramfs gets the input on its console, as before.)
  const shellReadsInput =
    positionals.length === 0 && !ttys.stdin && !initArgs && values.initrd === undefined;
  const command = shellReadsInput ? ['sh'] : positionals;
  const interactive = command.length === 0 && ttys.stdin && !initArgs;
  const baseInitrd = readInput(initrdPath, 'initramfs');
  const initrd = command.length > 0 ? withRunRequest(baseInitrd, command, ttys) : baseInitrd;
  const quiet = values.quiet || ((command.length > 0 || interactive) && !values.verbose);
  // A command whose input and output are not a terminal sees a pipe-like
  // console from the start: no echo of its input, no \r added to output.
  const pipe = command.length > 0 && !(process.stdin.isTTY && process.stdout.isTTY);
  // The guest's programs draw for the host terminal's type.
  const term = process.env['TERM'] ?? '';
  const termArg = interactive && /^[\w.+-]{1,64}$/.test(term) ? `TERM=${term}` : '';
  const mounts = values.mount.map(parseMount);
  // init mounts them: TAG:DIR[:ro][:cache] entries, comma-separated.
  const mountArg = mountsCmdline(mounts);
  const net = await network;
  // Our options go first: everything after "--" in the user's part belongs to init.
  const cmdline = [
    quiet ? 'loglevel=0' : '',
    pipe ? 'wasm_console=pipe' : '',
    termArg,
    mountArg,
    net ? guestNetCmdline(net.guest, values.dhcp ? 'dhcp' : 'static', net.mtu) : '',
    values.cmdline,
  ]
    .filter(Boolean)
    .join(' ');

  const p9Exports: NinePExport[] = mounts.map((m) =>
    m.remote
      ? webSocketExport(m.tag, m.source)
      : { tag: m.tag, local: { kind: 'dir', root: m.source, readOnly: m.readOnly } },
  );
  if (values.verbose) {
    // Which Node bin/wasmlinux.mjs chose matters: without JSPI every kernel
    // thread costs a host thread, and boot takes about twice as long.
    const sharing = values['worker-per-task']
      ? 'a host thread per task (--worker-per-task)'
      : stackSwitching()
        ? 'kernel threads share host threads (JSPI)'
        : 'a host thread per task (this Node has no JSPI; Node.js 24 boots faster)';
    process.stderr.write(`wasmlinux: Node.js ${process.version}, ${sharing}\n`);
  }
  const machine = new Machine(nodePlatform(new URL('./worker.cjs', import.meta.url)), {
    kernel,
    cmdline,
    initrd,
    memoryBytes,
    cpus,
    stackSwitching: !values['worker-per-task'],
    p9Exports,
    ...(net ? { net } : {}),
    onOomKill: (victim) => {
      warnLine(
        `out of memory: the kernel killed process ${victim.pid} (${victim.name}); ` +
          `give the machine more memory with --mem (now ${values.mem})`,
      );
    },
  });
  // kill -USR2: the network device's state on stderr, for a stalled transfer.
  process.on('SIGUSR2', () => {
    warnLine(`network: ${machine.netState() ?? 'none'}`);
  });
  const terminal =
    ttys.stdin && process.stdout.isTTY ? new HostTerminal(process.stdin, process.stdout) : null;
  if (terminal) {
    const { rows, cols } = terminal.size();
    machine.resize(rows, cols);
    terminal.onResize((size) => machine.resize(size.rows, size.cols));
  }
  let forced: number | null = null;
  if (terminal) {
    // The guest's tty does the echo and line editing (like docker run -it).
    if (interactive) {
      process.stderr.write(
        "wasmlinux: booting; 'exit' or 'poweroff' leaves, Ctrl-] stops the machine at once\n",
      );
    }
    terminal.enterRaw((status) => {
      forced = status;
      machine.stop({ kind: 'power-off' });
    });
  }
  if (command.length > 0 && !ttys.stdin) {
    // The command reads the host's stdin as /dev/host_stdin: every byte as
    // it is, and end-of-file when it ends. Pause while the guest lags behind.
    process.stdin.on('data', (chunk: Buffer) => {
      if (!machine.stdin(new Uint8Array(chunk))) {
        process.stdin.pause();
        machine.onStdinDrain(() => process.stdin.resume());
      }
    });
    process.stdin.on('end', () => machine.stdinEnd());
  } else {
    process.stdin.on('data', (chunk: Buffer) => {
      const escape = terminal ? chunk.indexOf(ESCAPE_BYTE) : -1;
      if (escape >= 0) {
        if (escape > 0) machine.input(new Uint8Array(chunk.subarray(0, escape)));
        terminal?.restore();
        process.stderr.write('\r\nwasmlinux: stopped (Ctrl-])\n');
        forced = 130;
        machine.stop({ kind: 'power-off' });
        return;
      }
      machine.input(new Uint8Array(chunk));
    });
    // End of input reaches the guest as the terminal's end-of-file character
    // (VEOF, Ctrl-D), which the console's line discipline turns into EOF.
    if (!ttys.stdin) process.stdin.on('end', () => machine.input(new Uint8Array([4])));
  }
  process.stdin.on('error', () => {});
  const exit = await machine.run();
  terminal?.restore();
  return forced ?? exitStatus(exit);
}

/** A line on stderr while the guest runs: the host terminal may be raw (no \n -> \r\n), so end it ourselves. */
function warnLine(text: string): void {
  process.stderr.write(`wasmlinux: ${text}${process.stderr.isTTY ? '\r\n' : '\n'}`);
}

function lostWakeup(ring: 'tx' | 'rx'): void {
  warnLine(`network: a lost wake-up on the ${ring} ring, made up for (a bug: please report it)`);
}

function lostLink(reason: string): void {
  warnLine(`network: ${reason}; the guest's eth0 has lost its link`);
}

interface NetValues {
  net?: string | undefined;
  publish: string[];
  dns?: string | undefined;
}

/** passt for the guest's eth0, or null for no network (--net none, or no passt and none asked for). */
async function startNetwork(
  values: NetValues,
): Promise<(MachineNet & { guest: GuestNetwork }) | null> {
  const mode = values.net ?? 'passt';
  const relay = /^wss?:\/\//.test(mode);
  if (mode !== 'passt' && mode !== 'none' && !relay) {
    throw new UsageError(
      `--net: "${mode}" is not passt, none or the ws:// URL of a serve-net relay`,
    );
  }
  let publish: PublishSpec[];
  try {
    publish = values.publish.map(parsePublish);
  } catch (err) {
    if (err instanceof PublishError) throw new UsageError(err.message);
    throw err;
  }
  if (values.dns !== undefined && isIP(values.dns) === 0) {
    throw new UsageError(`--dns: "${values.dns}" is not an IP address`);
  }
  if (mode === 'none') {
    if (publish.length > 0) throw new UsageError('--publish needs a network: not with --net none');
    return null;
  }
  if (relay) {
    if (publish.length > 0) throw new UsageError('--publish: a relay publishes nothing; use passt');
    try {
      const { link, hello } = await connectRelay(
        mode,
        (url) => new WebSocket(url, { maxPayload: NET_FRAME_MAX }) as unknown as NetWebSocket,
      );
      return { guest: hello.guest, link, mtu: hello.mtu, onClosed: lostLink, onKick: lostWakeup };
    } catch (err) {
      if (err instanceof RelayError) throw new UsageError(`--net: ${err.message}`);
      throw err;
    }
  }
  try {
    await checkPublishable(publish);
    const pcap = process.env['WASMLINUX_PCAP'];
    const resolver = hostResolver(values.dns);
    const guest = guestNetwork(hostAddress(), resolver, hostGateway6());
    const link = await startPasst({ publish, resolver, ...(pcap ? { pcap } : {}) }, guest);
    return {
      guest,
      link,
      mtu: PASST_MTU,
      onClosed: lostLink,
      onKick: lostWakeup,
    };
  } catch (err) {
    if (!(err instanceof PasstError)) throw err;
    // Networking is on by default: without passt, say so and go on
    // without it, unless it was asked for.
    if (values.net === 'passt' || publish.length > 0) throw new UsageError(err.message);
    process.stderr.write(`wasmlinux: no network: ${err.message}\n`);
    return null;
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      err instanceof KernelImageError ||
      err instanceof MachineError
    ) {
      process.stderr.write(`wasmlinux: ${err.message}\n`);
    } else if (
      err instanceof Error &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`wasmlinux: ${err.message}\n${USAGE}\n`);
    } else {
      process.stderr.write(
        `wasmlinux: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    }
    process.exit(2);
  },
);
