// serve-9p on the wire (src/node/ninep/ws.ts and bridge.ts): peers that send
// text, truncated, oversized, lying or random 9P messages get an error reply
// or a closed connection, and the server keeps serving a well-behaved client
// afterwards. The bridge is tried from both sides: a bad WebSocket client,
// and a TCP "9P server" that answers garbage.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import {
  MsgType,
  NOFID,
  NOTAG,
  decodeReply,
  encodeRequest,
  type NinePReply,
  type NinePRequest,
} from '../../src/core/ninep/codec.js';
import { FrameSplitter, parseTcpTarget } from '../../src/node/ninep/bridge.js';
import { serveNineP, type NinePSource } from '../../src/node/ninep/ws.js';

const MSIZE = 65536;

type Untagged<R> = R extends unknown ? Omit<R, 'tag'> : never;

/** A WebSocket peer: send frames, collect replies, see how it ended. */
class Peer {
  readonly replies: Uint8Array[] = [];
  readonly closed: Promise<number>;
  private readonly ws: WebSocket;
  private readonly waiters: ((b: Uint8Array) => void)[] = [];
  private tag = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (d: Buffer) => {
      const w = this.waiters.shift();
      if (w) w(new Uint8Array(d));
      else this.replies.push(new Uint8Array(d));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
  }

  static connect(url: string): Promise<Peer> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Peer(ws)));
      ws.once('error', reject);
    });
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  next(): Promise<Uint8Array> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async rpc(req: Untagged<NinePRequest>): Promise<NinePReply> {
    const tag = req.kind === 'version' ? NOTAG : this.tag++;
    this.send(encodeRequest({ ...req, tag } as NinePRequest));
    const { tag: got, reply } = decodeReply(await this.next(), MSIZE);
    assert.equal(got, tag);
    return reply;
  }

  /** A whole session: mount, walk to name, open, read. */
  async readFile(name: string): Promise<string> {
    assert.equal(
      (await this.rpc({ kind: 'version', msize: MSIZE, version: '9P2000.L' })).kind,
      'version',
    );
    const attach = {
      kind: 'attach',
      fid: 0,
      afid: NOFID,
      uname: 'root',
      aname: new Uint8Array(0),
      nUname: 0,
    } as const;
    assert.equal((await this.rpc(attach)).kind, 'attach');
    assert.equal(
      (await this.rpc({ kind: 'walk', fid: 0, newfid: 1, names: [new TextEncoder().encode(name)] }))
        .kind,
      'walk',
    );
    assert.equal((await this.rpc({ kind: 'lopen', fid: 1, flags: 0 })).kind, 'lopen');
    const r = await this.rpc({ kind: 'read', fid: 1, offset: 0n, count: 4096 });
    assert.equal(r.kind, 'read');
    return Buffer.from(r.kind === 'read' ? r.data : []).toString();
  }

  close(): void {
    this.ws.close();
  }
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Listens on a free loopback port; resolves with it. */
async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

let dir = '';

async function withServer(source: NinePSource, fn: (url: string) => Promise<void>): Promise<void> {
  const server = await serveNineP({ source, port: 0, host: '127.0.0.1', token: null });
  try {
    await fn(server.url);
  } finally {
    server.close();
  }
}

describe('serve-9p against bad peers', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ninep-ws-'));
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello over the wire\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('text, short, lying and oversized messages close that connection only', async () => {
    await withServer({ kind: 'dir', dir, readOnly: false }, async (url) => {
      const cases: [string, Uint8Array | string, number][] = [
        ['a text frame', 'Tversion please', 1003],
        ['3 bytes', new Uint8Array([1, 2, 3]), 1002],
        [
          'a size field larger than the message',
          new Uint8Array([200, 0, 0, 0, 100, 0xff, 0xff]),
          1002,
        ],
        ['a size field under a header', new Uint8Array([3, 0, 0, 0, 100, 0xff, 0xff]), 1002],
        ['2 MiB, over the limit', new Uint8Array(2 << 20), 1009],
      ];
      for (const [what, frame, code] of cases) {
        const p = await Peer.connect(url);
        p.send(frame);
        assert.equal(await p.closed, code, what);
      }
      const good = await Peer.connect(url);
      assert.equal(await good.readFile('hello.txt'), 'hello over the wire\n');
      good.close();
    });
  });

  test('thousands of random messages on many connections; then a client is served', async () => {
    await withServer({ kind: 'dir', dir, readOnly: false }, async (url) => {
      const rand = prng(0x5eed);
      const types = Object.values(MsgType);
      let answered = 0;
      let dropped = 0;
      for (let conn = 0; conn < 40; conn++) {
        const p = await Peer.connect(url);
        let open = true;
        void p.closed.then(() => (open = false));
        for (let i = 0; i < 100 && open; i++) {
          const len = 7 + Math.floor(rand() * 80);
          const frame = new Uint8Array(len);
          for (let j = 0; j < len; j++) frame[j] = Math.floor(rand() * 256);
          if (rand() < 0.9) new DataView(frame.buffer).setUint32(0, len, true);
          if (rand() < 0.8) frame[4] = types[Math.floor(rand() * types.length)] ?? 0;
          p.send(frame);
          const got = await Promise.race([p.next(), p.closed.then(() => null)]);
          if (got === null) break;
          answered++;
          // Whatever comes back is a well-formed R-message.
          decodeReply(got, 1 << 20);
        }
        if (!open) dropped++;
        p.close();
      }
      assert.ok(answered > 100, `answered ${answered}`);
      assert.ok(dropped > 0, 'some connections were closed for nonsense');
      const good = await Peer.connect(url);
      assert.equal(await good.readFile('hello.txt'), 'hello over the wire\n');
      good.close();
    });
  });

  test('a client that pipelines far ahead is slowed, not dropped: every reply, in order', async () => {
    fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(60000, 7));
    await withServer({ kind: 'dir', dir, readOnly: false }, async (url) => {
      const p = await Peer.connect(url);
      assert.equal(await p.readFile('big'), '\x07'.repeat(4096));
      const n = 400;
      for (let i = 0; i < n; i++) {
        p.send(encodeRequest({ kind: 'read', tag: 1000 + i, fid: 1, offset: 0n, count: 60000 }));
      }
      for (let i = 0; i < n; i++) {
        const { tag, reply } = decodeReply(await p.next(), MSIZE);
        assert.equal(tag, 1000 + i);
        assert.equal(reply.kind === 'read' ? reply.data.length : -1, 60000);
      }
      p.close();
    });
  });

  test('the bridge closes on a TCP server that sends garbage, and serves the next connection', async () => {
    const sockets: Socket[] = [];
    let mode: 'garbage' | 'oversized' = 'garbage';
    const tcp: Server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.once('data', () => {
        // A size field shorter than a header, or one of 4 GiB.
        s.write(
          mode === 'garbage'
            ? Buffer.from([3, 0, 0, 0, 9, 9, 9])
            : Buffer.from([0xff, 0xff, 0xff, 0xff, 101, 0, 0]),
        );
      });
    });
    const port = await listenLoopback(tcp);
    try {
      await withServer(
        { kind: 'tcp', target: { host: '127.0.0.1', port, aname: new Uint8Array(0) } },
        async (url) => {
          for (const m of ['garbage', 'oversized'] as const) {
            mode = m;
            const p = await Peer.connect(url);
            p.send(
              encodeRequest({ kind: 'version', tag: NOTAG, msize: MSIZE, version: '9P2000.L' }),
            );
            assert.equal(await p.closed, 1011, m);
          }
          // A malformed message from the WebSocket side never reaches the server.
          const p = await Peer.connect(url);
          p.send(new Uint8Array([9, 0, 0, 0, 100]));
          assert.equal(await p.closed, 1002);
        },
      );
    } finally {
      for (const s of sockets) s.destroy();
      tcp.close();
    }
  });

  test('the bridge passes a whole session through to a real server, with the aname filled in', async () => {
    // Our own server behind a TCP socket stands in for diod here (the e2e
    // test uses diod itself); it records the aname it was asked for, and
    // mounts that directory of dir, so the file read proves it arrived.
    const { NinePServer } = await import('../../src/node/ninep/server.js');
    fs.mkdirSync(path.join(dir, 'srv', 'export'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'srv', 'export', 'only-here.txt'), 'behind the bridge\n');
    const anames: string[] = [];
    const tcp = createServer((s) => {
      const server = new NinePServer({ root: dir, readOnly: true });
      const split = new FrameSplitter(1 << 20);
      let last = Promise.resolve();
      s.on('data', (chunk: Buffer) => {
        for (const f of split.push(chunk)) {
          if (f[4] === MsgType.Tattach) anames.push(f.subarray(7).toString('latin1'));
          last = last.then(async () => {
            const r = await server.handle(new Uint8Array(f));
            if (r) s.write(r);
          });
        }
      });
      s.on('error', () => {});
    });
    const port = await listenLoopback(tcp);
    try {
      await withServer(
        {
          kind: 'tcp',
          target: { host: '127.0.0.1', port, aname: new TextEncoder().encode('/srv/export') },
        },
        async (url) => {
          const p = await Peer.connect(url);
          assert.equal(await p.readFile('only-here.txt'), 'behind the bridge\n');
          p.close();
        },
      );
      assert.equal(anames.length, 1);
      assert.match(anames[0] ?? '', /\/srv\/export/);
    } finally {
      tcp.close();
    }
  });
});

describe('parseTcpTarget', () => {
  test('the export path is bytes: %XX is that byte, UTF-8 or not', () => {
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const odd = parseTcpTarget('tcp://127.0.0.1:564/srv/a%FFb%2f');
    assert.equal(hex(odd.aname), Buffer.from('/srv/a\xffb/', 'latin1').toString('hex'));
    assert.equal(parseTcpTarget('tcp://127.0.0.1:564/').aname.length, 0);
    assert.equal(Buffer.from(parseTcpTarget('tcp://127.0.0.1:564/grüß').aname).toString(), '/grüß');
    assert.equal(Buffer.from(parseTcpTarget('tcp://127.0.0.1:564/50%').aname).toString(), '/50%');
  });
});

describe('FrameSplitter', () => {
  test('reassembles messages split and joined at any byte', () => {
    const msgs = [1, 2, 3].map((n) => encodeRequest({ kind: 'clunk', tag: n, fid: n }));
    const all = Buffer.concat(msgs);
    for (let cut = 1; cut < all.length; cut++) {
      const s = new FrameSplitter(MSIZE);
      const out = [...s.push(all.subarray(0, cut)), ...s.push(all.subarray(cut))];
      assert.deepEqual(
        out.map((b) => Buffer.from(b).toString('hex')),
        msgs.map((m) => Buffer.from(m).toString('hex')),
      );
    }
    assert.throws(() => new FrameSplitter(MSIZE).push(Buffer.from([1, 0, 1, 0])), /out of range/);
    assert.throws(() => new FrameSplitter(MSIZE).push(Buffer.from([6, 0, 0, 0])), /out of range/);
  });
});
