// A name server for tests: answers A queries for the names it is given,
// NXDOMAIN for every other, over UDP (RFC 1035, enough of it for one
// question per message).

import { createSocket, type Socket } from 'node:dgram';

export interface TestResolver {
  /** How many queries it has answered. */
  queries(): number;
  close(): Promise<void>;
}

/** Name (lower case, no trailing dot) of the question at offset 12, and where it ends. */
function question(msg: Buffer): { name: string; end: number } | null {
  const labels: string[] = [];
  let off = 12;
  while (off < msg.length) {
    const n = msg[off]!;
    if (n === 0) return { name: labels.join('.').toLowerCase(), end: off + 5 };
    if (n > 63) return null;
    labels.push(msg.toString('latin1', off + 1, off + 1 + n));
    off += 1 + n;
  }
  return null;
}

function answer(query: Buffer, names: ReadonlyMap<string, string>): Buffer | null {
  if (query.length < 12) return null;
  const q = question(query);
  if (!q || q.end > query.length) return null;
  const qtype = query.readUInt16BE(q.end - 4);
  const addr = names.get(q.name);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the id
  // A response, recursion desired as asked and available; NXDOMAIN (3) for unknown names.
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100) | (addr ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  const parts = [header, query.subarray(12, q.end)];
  if (addr && qtype === 1) {
    header.writeUInt16BE(1, 6);
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(1, 2); // A
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6); // TTL
    rr.writeUInt16BE(4, 10);
    addr.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
    parts.push(rr);
  }
  return Buffer.concat(parts);
}

/** Serve names (name → IPv4 address) on address:port. */
export function startResolver(
  address: string,
  port: number,
  names: Record<string, string>,
): Promise<TestResolver> {
  const table = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
  let count = 0;
  return new Promise((resolve, reject) => {
    const s: Socket = createSocket('udp4');
    s.once('error', reject);
    s.on('message', (msg, from) => {
      const reply = answer(msg, table);
      if (!reply) return;
      count++;
      s.send(reply, from.port, from.address);
    });
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve({
        queries: () => count,
        close: () => new Promise((r) => s.close(() => r())),
      });
    });
  });
}
