// Network benchmark (issue 15): the guest's TCP through eth0 and passt to
// servers on the host's loopback, against the same program (bench/guest/
// netperf.c) run natively against the same servers, and against the same
// bytes through the 9P mount:
//   - throughput guest -> host and host -> guest (MB/s; goal >= 200);
//   - round trips of one byte each way (µs; goal <= 200), and ping;
//   - connections opened and closed per second.
// Guest times come from the guest's clock, so boot is not counted.
//
// With --relay the guest's network is a `wasmlinux serve-net` relay on
// loopback (what the web page uses; goal >= 50 MB/s), not its own passt.
//
//   node --import tsx bench/net.ts [--runs N] [--mib N] [--cpus N] [--relay]

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveNet } from '../src/node/serve-net.js';
import { compileGuestProgram } from '../tools/build/guest-cc.js';
import { writeCpio } from '../src/core/cpio.js';
import { entriesFromSpec } from '../tools/initramfs/from-spec.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(ROOT, 'dist/node/cli.js');
const RR = 2000;
const CC = 500;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** The four servers netperf talks to, on the host's loopback. */
interface Servers {
  sink: number;
  source: number;
  echo: number;
  accept: number;
  close(): Promise<void>;
}

async function listen(handler: (s: Socket) => void): Promise<Server> {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

async function startServers(bytes: number): Promise<Servers> {
  const chunk = Buffer.alloc(1 << 20);
  const servers = [
    // Reads everything, then closes: the sender's time includes the last byte.
    await listen((s) => {
      s.on('data', () => {});
      s.on('end', () => s.end());
    }),
    // Writes bytes, then closes.
    await listen((s) => {
      let left = bytes;
      const more = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            s.once('drain', more);
            return;
          }
        }
        s.end();
      };
      s.on('error', () => {});
      more();
    }),
    await listen((s) => {
      s.setNoDelay(true);
      s.on('data', (d) => s.write(d));
    }),
    await listen((s) => {
      s.on('error', () => {});
      s.end();
    }),
  ];
  const port = (i: number): number => (servers[i]!.address() as AddressInfo).port;
  return {
    sink: port(0),
    source: port(1),
    echo: port(2),
    accept: port(3),
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** "netperf WHAT COUNT NS" lines → WHAT → [count, ns] in order. */
function parse(out: string): Map<string, [number, number][]> {
  const m = new Map<string, [number, number][]>();
  for (const [, what, count, ns] of out.matchAll(/^netperf (\S+) (\d+) (\d+)$/gm)) {
    m.set(what!, [...(m.get(what!) ?? []), [Number(count), Number(ns)]]);
  }
  return m;
}

/** Run a program to its end; the servers here keep serving meanwhile. */
function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) return reject(new Error(`${cmd} failed (${status}):\n${out}${err}`));
      // Warnings (a lost wake-up, a lost link) belong in the benchmark's report.
      if (err) process.stderr.write(err);
      resolve(out);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      mib: { type: 'string', default: '256' },
      cpus: { type: 'string', default: '2' },
      relay: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const bytes = Number(values.mib) << 20;
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-net-'));
  const servers = await startServers(bytes);
  // The host's loopback is where the servers are: the relay must allow it.
  const relay = values.relay
    ? await serveNet({ port: 0, host: '127.0.0.1', token: null, maxClients: 2, allowPrivate: true })
    : null;
  try {
    const src = join(ROOT, 'bench/guest/netperf.c');
    const guestProg = join(dir, 'netperf.wasm');
    await compileGuestProgram(guestProg, [src], { cflags: ['-O2'] });
    const initrd = join(dir, 'initrd.cpio');
    const extra = writeCpio(
      entriesFromSpec([{ path: '/bin/netperf', type: 'file', mode: 0o755, source: guestProg }]),
    );
    writeFileSync(initrd, Buffer.concat([readFileSync(join(ROOT, 'build/initramfs.cpio')), extra]));
    const nativeProg = join(dir, 'netperf-native');
    await run('cc', ['-O2', '-o', nativeProg, src]);
    // The same bytes over the 9P mount: a file to read, a directory to write.
    const share = join(dir, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'data'), Buffer.alloc(bytes, 7));

    const host = 'host.wasmlinux.internal';
    const script = [
      `netperf send ${host} ${servers.sink} ${bytes}`,
      `netperf recv ${host} ${servers.source}`,
      `netperf rr ${host} ${servers.echo} ${RR}`,
      `netperf cc ${host} ${servers.accept} ${CC}`,
      `a=$(date +%s%N); dd if=/mnt/data of=/dev/null bs=1M 2>/dev/null; b=$(date +%s%N); echo "netperf 9p-read ${bytes} $((b-a))"`,
      `a=$(date +%s%N); dd if=/dev/zero of=/mnt/out bs=1M count=${bytes >> 20} 2>/dev/null; b=$(date +%s%N); echo "netperf 9p-write ${bytes} $((b-a))"; rm -f /mnt/out`,
      `ping -c 20 -i 0.05 ${host} | tail -1`,
    ].join('\n');
    const g = new Map<string, number[]>();
    const n = new Map<string, number[]>();
    const pings: string[] = [];
    const add = (into: Map<string, number[]>, out: string): void => {
      for (const [what, list] of parse(out)) {
        for (const [count, ns] of list) into.set(what, [...(into.get(what) ?? []), ns / count]);
      }
    };
    for (let i = 0; i < runs; i++) {
      const out = await run(process.execPath, [
        CLI,
        '--quiet',
        '--cpus',
        values.cpus,
        '--mem',
        '256M',
        '--initrd',
        initrd,
        ...(relay ? ['--net', relay.url] : []),
        '--mount',
        `${share}:/mnt`,
        '--',
        'sh',
        '-c',
        script,
      ]);
      add(g, out);
      const ping = /= [\d.]+\/([\d.]+)\/[\d.]+ ms/.exec(out);
      if (ping) pings.push(ping[1]!);
      const lo = '127.0.0.1';
      add(n, await run(nativeProg, ['send', lo, String(servers.sink), String(bytes)]));
      add(n, await run(nativeProg, ['recv', lo, String(servers.source)]));
      add(n, await run(nativeProg, ['rr', lo, String(servers.echo), String(RR)]));
      add(n, await run(nativeProg, ['cc', lo, String(servers.accept), String(CC)]));
    }
    const mbps = (nsPerByte: number): number => 1e3 / nsPerByte;
    const row = (name: string, guest: number, native: number | null, unit: string): void => {
      const ratio = native === null ? '-' : `${(guest / native).toFixed(2)}x`;
      console.log(
        `${name.padEnd(26)} ${guest.toFixed(1).padStart(9)} ${(native === null ? '-' : native.toFixed(1)).padStart(9)} ${unit.padEnd(6)} ${ratio.padStart(8)}`,
      );
    };
    const gm = (k: string): number => median(g.get(k) ?? []);
    const nm = (k: string): number => median(n.get(k) ?? []);
    console.log(
      `TCP to servers on the host's loopback${relay ? ' through serve-net' : ''}, ${values.mib} MiB, ${runs} runs, --cpus ${values.cpus} (medians)`,
    );
    console.log(
      `${''.padEnd(26)} ${'guest'.padStart(9)} ${'native'.padStart(9)} ${'unit'.padEnd(6)} ${'ratio'.padStart(8)}`,
    );
    // For rates, the ratio is native over guest: how many times slower the guest is.
    const rate = (name: string, k: string): void => {
      const gv = mbps(gm(k));
      const nv = mbps(nm(k));
      console.log(
        `${name.padEnd(26)} ${gv.toFixed(0).padStart(9)} ${nv.toFixed(0).padStart(9)} ${'MB/s'.padEnd(6)} ${`${(nv / gv).toFixed(2)}x`.padStart(8)}`,
      );
    };
    rate('guest -> host', 'send');
    rate('host -> guest', 'recv');
    row('round trip (1 byte)', gm('rr') / 1000, nm('rr') / 1000, 'µs');
    row('connect + close', gm('cc') / 1000, nm('cc') / 1000, 'µs');
    console.log(
      `${'9P read, write'.padEnd(26)} ${mbps(gm('9p-read')).toFixed(0).padStart(9)} ${mbps(gm('9p-write')).toFixed(0).padStart(9)} MB/s   (the same bytes over the 9P mount)`,
    );
    console.log(
      `${'ping (avg)'.padEnd(26)} ${pings.length ? `${(median(pings.map(Number)) * 1000).toFixed(0)}`.padStart(9) : 'no answer'.padStart(9)} ${''.padStart(9)} µs`,
    );
  } finally {
    await relay?.close();
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
