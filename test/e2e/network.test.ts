// The guest's network in Node (issue 15): eth0 through passt, configured
// at boot, reaching servers the test starts on the host's loopback, and
// published ports reaching the guest. No outside network exists here: every
// peer is one of ours.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { hostAddress, hostGateway6 } from '../../src/node/passt.js';
import { serveNet } from '../../src/node/serve-net.js';
import { startResolver } from '../helpers/dns.js';
import {
  CLI,
  haveBuild,
  initramfsWithPrograms,
  runCli,
  startCli,
  type RunResult,
} from '../helpers/guest.js';

const BIG = 50_000_000;
let big: Buffer;
let bigMd5 = '';
let http: HttpServer;
let httpPort = 0;
let dir = '';
let initrd = '';

function ok(r: RunResult): RunResult {
  assert.equal(r.timedOut, false, `timed out:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, `exit status ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A port nothing listens on now (TCP and UDP), for --publish. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The pid of passt, the CLI's child (pid of the CLI). */
function passtOf(cli: number): number {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(cli)], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => /passt/.test(l));
  assert.ok(line, `no passt among the CLI's children:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

const guestUrl = (path: string): string => `http://host.wasmlinux.internal:${httpPort}${path}`;

describe('the guest network (passt)', { timeout: 600_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-network-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/ethstats': 'ethstats.c' });
    big = randomBytes(BIG);
    bigMd5 = createHash('md5').update(big).digest('hex');
    http = createHttpServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': BIG });
        res.end(big);
      } else if (req.url === '/hello') {
        res.end(`hello from the host, ${req.socket.remoteAddress}\n`);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => http.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('eth0 is configured at boot: address, routes, resolv.conf, /etc/hosts', async () => {
    const r = ok(
      await runCli(
        ['--', 'sh', '-c', 'ip -4 addr show eth0; ip route; cat /etc/resolv.conf /etc/hosts'],
        { timeoutMs: 60_000 },
      ),
    );
    assert.match(r.stdout, /inet 10\.0\.2\.15\/24 /);
    const gw = hostAddress() ?? '10.0.2.2';
    assert.match(r.stdout, new RegExp(`default via ${gw.replace(/\./g, '\\.')} dev eth0`));
    assert.match(r.stdout, /^nameserver 10\.0\.2\.3$/m);
    assert.match(
      r.stdout,
      new RegExp(`^${gw.replace(/\./g, '\\.')}\\thost\\.wasmlinux\\.internal$`, 'm'),
    );
  });

  it('--dhcp: udhcpc gets the address from passt', async () => {
    const r = ok(
      await runCli(['--dhcp', '--verbose', '--', 'sh', '-c', 'ip -4 addr show eth0; ip route'], {
        timeoutMs: 60_000,
      }),
    );
    assert.match(r.stdout, /udhcpc: lease of 10\.0\.2\.15 obtained/);
    assert.match(r.stdout, /inet 10\.0\.2\.15\/24 /);
    assert.match(r.stdout, /^default via \S+ dev eth0/m);
  });

  it('wget downloads 50 MB from a host HTTP server, and its md5 is the host’s', async () => {
    const r = ok(
      await runCli(['--', 'sh', '-c', `wget -q -O- ${guestUrl('/big')} | md5sum`], {
        timeoutMs: 120_000,
      }),
    );
    assert.equal(r.stdout.trim().split(/\s+/)[0], bigMd5);
  });

  it('ethtool statistics and the standard counters follow the traffic', async () => {
    const r = ok(
      await runCli(
        [
          '--initrd',
          initrd,
          '--',
          'sh',
          '-c',
          `wget -q -O /dev/null ${guestUrl('/big')}; ethstats eth0; ` +
            'echo "rx_bytes: $(cat /sys/class/net/eth0/statistics/rx_bytes)"',
        ],
        { timeoutMs: 120_000 },
      ),
    );
    assert.match(r.stdout, /^driver: wasm-net$/m);
    const count = (name: string): number => {
      const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(r.stdout);
      assert.ok(m, `no ${name} in:\n${r.stdout}`);
      return Number(m[1]);
    };
    // 50 MB came in frames of up to 64 KiB: hundreds of polls and interrupts at least.
    assert.ok(count('rx_polls') >= 100, r.stdout);
    assert.ok(count('rx_interrupts') >= 1, r.stdout);
    assert.ok(count('tx_host_kicks') >= 1, r.stdout);
    assert.equal(count('rx_bad_frames'), 0);
    assert.ok(count('rx_bytes') > BIG, r.stdout);
  });

  it('wget fetches over HTTPS (BusyBox’s TLS) from a host server with an RSA and an ECDSA key', async () => {
    const keys = [
      ['-newkey', 'rsa:2048'],
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
    ];
    for (const key of keys) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          ...key,
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=host.wasmlinux.internal',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => res.end(`over TLS (${key[1]})\n`),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        const r = ok(
          await runCli(['--', 'wget', '-q', '-O-', `https://host.wasmlinux.internal:${port}/`], {
            timeoutMs: 60_000,
          }),
        );
        assert.equal(r.stdout, `over TLS (${key[1]})\n`);
      } finally {
        server.close();
      }
    }
  });

  it('nc: guest to a host listener over TCP, and over UDP', async () => {
    const tcpGot: Buffer[] = [];
    const tcp = createServer((s) => s.on('data', (d: Buffer) => tcpGot.push(d)));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const udp = createSocket('udp4');
    const udpGot: string[] = [];
    udp.on('message', (m) => udpGot.push(m.toString()));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    try {
      const tport = (tcp.address() as AddressInfo).port;
      const uport = udp.address().port;
      ok(
        await runCli(
          [
            '--',
            'sh',
            '-c',
            `seq 1 20000 | nc host.wasmlinux.internal ${tport} && ` +
              `echo 'a datagram from the guest' | nc -u -w 1 host.wasmlinux.internal ${uport}`,
          ],
          { timeoutMs: 60_000 },
        ),
      );
      const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');
      assert.equal(Buffer.concat(tcpGot).toString(), expected);
      assert.deepEqual(udpGot, ['a datagram from the guest\n']);
    } finally {
      tcp.close();
      udp.close();
    }
  });

  it(
    'IPv6: eth0 gets an address from passt, and host6.wasmlinux.internal is the host’s ::1',
    {
      skip:
        hostGateway6() === null ? 'the host has no IPv6 default route: passt runs IPv4 only' : false,
    },
    async () => {
      const srv = createHttpServer((req, res) => res.end(`v6 ${req.socket.remoteAddress}\n`));
      await new Promise<void>((r) => srv.listen(0, '::1', r));
      const port = (srv.address() as AddressInfo).port;
      try {
        // The addresses come from router advertisements, a moment after
        // eth0 is up: wait for the default route rather than race it.
        const r = ok(
          await runCli(
            [
              '--',
              'sh',
              '-c',
              'for i in $(seq 50); do ip -6 route | grep -q ^default && break; sleep 0.1; done; ' +
                'ip -6 addr show eth0 scope global; grep host6 /etc/hosts; ' +
                `wget -q -O- http://host6.wasmlinux.internal:${port}/`,
            ],
            { timeoutMs: 60_000 },
          ),
        );
        assert.match(r.stdout, /inet6 [0-9a-f:]+\/64 scope global/);
        assert.match(r.stdout, /^\S+\thost6\.wasmlinux\.internal$/m);
        // passt connects from the host's own ::1.
        assert.match(r.stdout, /^v6 ::1$/m);
      } finally {
        await new Promise<void>((r) => srv.close(() => r()));
      }
    },
  );

  it('--publish: host to a guest listener over TCP and UDP, and a guest httpd answers fetch()', async () => {
    const [tport, uport, hport] = [await freePort(), await freePort(), await freePort()];
    const script = [
      'mkdir -p /tmp/www && echo "served by the guest" > /tmp/www/index.html',
      'httpd -f -p 8080 -h /tmp/www &',
      'nc -l -p 7000 > /tmp/tcp & tcp=$!',
      'nc -u -l -p 7001 > /tmp/udp &',
      // Listening, all three, before the host is told to go.
      'until netstat -ltn | grep -q :8080 && netstat -ltn | grep -q :7000 && netstat -lun | grep -q :7001; do sleep 0.1; done',
      'echo READY',
      'read go',
      'until [ -s /tmp/udp ]; do sleep 0.1; done',
      'wait $tcp',
      'echo "tcp: $(cat /tmp/tcp)"; echo "udp: $(cat /tmp/udp)"',
    ].join('\n');
    const run = startCli(
      [
        '--publish',
        `127.0.0.1:${tport}:7000`,
        '--publish',
        `127.0.0.1:${uport}:7001/udp`,
        '--publish',
        `127.0.0.1:${hport}:8080`,
        '--',
        'sh',
        '-c',
        script,
      ],
      { timeoutMs: 90_000 },
    );
    await run.waitForStdout(/READY/);
    const res = await fetch(`http://127.0.0.1:${hport}/index.html`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'served by the guest\n');
    await new Promise<void>((resolve, reject) => {
      const c = createConnection(tport, '127.0.0.1', () => c.end('through the published port\n'));
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    const u = createSocket('udp4');
    await new Promise<void>((r) =>
      u.send('a datagram for the guest\n', uport, '127.0.0.1', () => r()),
    );
    u.close();
    run.write('go\n');
    const r = ok(await run.finish());
    assert.match(r.stdout, /^tcp: through the published port$/m);
    assert.match(r.stdout, /^udp: a datagram for the guest$/m);
  });

  it('names resolve through passt’s DNS forwarding to the host’s resolver, and through /etc/hosts', async () => {
    // passt forwards to port 53 of the resolver it is given (--dns).
    const resolver = await startResolver('127.0.0.1', 53, { 'files.test.internal': '192.0.2.123' });
    try {
      const r = ok(
        await runCli(
          [
            '--dns',
            '127.0.0.1',
            '--',
            'sh',
            '-c',
            `nslookup files.test.internal; wget -q -O- ${guestUrl('/hello')}`,
          ],
          { timeoutMs: 60_000 },
        ),
      );
      assert.match(r.stdout, /Address: 192\.0\.2\.123/);
      assert.ok(resolver.queries() > 0, 'the test resolver was never asked');
      // host.wasmlinux.internal came from /etc/hosts; passt maps it to the host's loopback.
      assert.match(r.stdout, /^hello from the host, 127\.0\.0\.1$/m);
    } finally {
      await resolver.close();
    }
  });

  it('ping host.wasmlinux.internal answers', async () => {
    // passt pings with ICMP echo sockets, which the host's
    // net.ipv4.ping_group_range must allow for passt's group (nobody);
    // systemd makes that the default, this bare machine has not.
    const knob = '/proc/sys/net/ipv4/ping_group_range';
    const before = readFileSync(knob, 'utf8').trim();
    const [lo, hi] = before.split(/\s+/).map(Number) as [number, number];
    const allowed = lo <= 65534 && 65534 <= hi;
    if (!allowed) writeFileSync(knob, '0 2147483647');
    try {
      const r = ok(
        await runCli(['--', 'ping', '-c', '2', '-W', '5', 'host.wasmlinux.internal'], {
          timeoutMs: 60_000,
        }),
      );
      assert.match(r.stdout, /2 packets transmitted, 2 packets received/);
    } finally {
      if (!allowed) writeFileSync(knob, before);
    }
  });

  it('--publish of a host port that is taken stops with a message, before the guest boots', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await runCli(['--publish', `127.0.0.1:${port}:80`, '--', 'true'], {
        timeoutMs: 60_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`host TCP port 127\\.0\\.0\\.1:${port} is in use`));
    } finally {
      busy.close();
    }
  });

  it('serve-net refuses a client beyond --max-clients and a wrong token, and drops frames over its rate', async () => {
    const logged: string[] = [];
    const relay = await serveNet({
      port: 0,
      host: '127.0.0.1',
      token: 't0k',
      maxClients: 1,
      maxFrameRate: 20,
      allowPrivate: false,
      log: (line) => logged.push(line),
    });
    // How the relay answers a WebSocket handshake: 'hello' (its first message) or the HTTP status.
    const knock = (query: string): Promise<{ ws: WebSocket; answer: string }> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${relay.url}${query}`);
        ws.once('message', (d) =>
          resolve({ ws, answer: JSON.parse(String(d)).wasmlinux as string }),
        );
        ws.once('unexpected-response', (_req, res) =>
          resolve({ ws, answer: String(res.statusCode) }),
        );
        ws.once('error', () => {});
      });
    try {
      const first = await knock('?token=t0k');
      assert.equal(first.answer, 'serve-net');
      assert.equal((await knock('?token=t0k')).answer, '503');
      assert.equal((await knock('?token=nope')).answer, '401');
      // 100 frames at once (not IP, so the filter passes them; passt
      // ignores them): 20 go on, the rest are dropped and counted.
      for (let i = 0; i < 100; i++) first.ws.send(new Uint8Array(60));
      const closed = new Promise<void>((r) => first.ws.once('close', () => r()));
      first.ws.close();
      await closed;
      for (let i = 0; i < 100 && !logged.some((l) => /client left/.test(l)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(logged.some((l) => /over 20 frames a second: dropping the rest/.test(l)), logged.join('\n'));
      const dropped = /client left \((\d+) frames over the rate dropped\)/.exec(logged.join('\n'));
      assert.ok(dropped && Number(dropped[1]) >= 50, logged.join('\n'));
    } finally {
      await relay.close();
    }
  });

  it('--net none leaves only lo', async () => {
    const r = ok(
      await runCli(['--net', 'none', '--', 'ls', '/sys/class/net'], { timeoutMs: 60_000 }),
    );
    assert.equal(r.stdout, 'lo\n');
  });

  it('a host without a network: the CLI says why and boots without eth0', async () => {
    // A network namespace of our own has only a loopback device, and passt
    // needs an interface with a route out.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          'unshare',
          ['-rn', process.execPath, CLI, '--', 'ls', '/sys/class/net'],
          { timeout: 60_000, encoding: 'utf8' },
          (err, stdout, stderr) =>
            resolve({
              status: err ? (typeof err.code === 'number' ? err.code : null) : 0,
              stdout,
              stderr,
            }),
        );
      },
    );
    assert.equal(r.status, 0, `exit status ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, 'lo\n');
    assert.match(r.stderr, /^wasmlinux: no network: \S/m);
  });

  it('a killed passt gives the guest network errors, not a hang, and the machine powers off', async () => {
    const script = [
      `wget -q -O- ${guestUrl('/hello')}`,
      'echo READY',
      'read go',
      // The host tells the guest that its link is gone.
      'until [ "$(cat /sys/class/net/eth0/carrier)" = 0 ]; do sleep 0.1; done',
      `wget -q -O- ${guestUrl('/hello')}; echo "wget status $?"`,
    ].join('\n');
    const run = startCli(['--', 'sh', '-c', script], { timeoutMs: 90_000 });
    await run.waitForStdout(/READY/);
    assert.ok(run.pid);
    process.kill(passtOf(run.pid), 'SIGKILL');
    run.write('go\n');
    const r = ok(await run.finish());
    assert.match(r.stdout, /^hello from the host/m);
    assert.match(r.stdout, /^wget status [1-9]/m);
    assert.match(r.stderr, /passt was killed \(SIGKILL\)/);
  });
});
