// The wire format between the host and wasmlinux-agent in the guest
// (userland/agent/agent.c): a header line, then as many bytes as it says.
// Requests go to the guest's /dev/host_stdin, replies come from its
// /dev/host_stdout.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type AgentReply =
  | { readonly kind: 'hello' }
  | { readonly kind: 'ok'; readonly id: number }
  | { readonly kind: 'err'; readonly id: number; readonly message: string }
  | {
      readonly kind: 'done';
      readonly id: number;
      readonly status: number;
      readonly output: Uint8Array;
    }
  | {
      readonly kind: 'file';
      readonly id: number;
      readonly name: string;
      readonly data: Uint8Array;
    };

function checkPath(path: string): void {
  if (path === '' || /[\n\0]/.test(path))
    throw new Error(`unusable guest path ${JSON.stringify(path)}`);
}

export function putRequest(id: number, path: string, mode: number, size: number): Uint8Array {
  checkPath(path);
  return encoder.encode(`put ${id} ${(mode & 0o7777).toString(8)} ${size} ${path}\n`);
}

export function runRequest(id: number, command: string): Uint8Array {
  const body = encoder.encode(command);
  const head = encoder.encode(`run ${id} ${body.length}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

export function getRequest(id: number, path: string): Uint8Array {
  checkPath(path);
  return encoder.encode(`get ${id} ${path}\n`);
}

/** The exit status a shell shows for a wait status: code, or 128 + signal. */
export function shellStatus(waitStatus: number): number {
  const sig = waitStatus & 0x7f;
  return sig ? 128 + sig : (waitStatus >> 8) & 0xff;
}

/**
 * Turns the reply stream, in whatever pieces it arrives, into replies. A
 * body is collected whole (the agent caps command output at 16 MiB).
 */
export class AgentReplyDecoder {
  private head: number[] = [];
  private body: Uint8Array | null = null;
  private filled = 0;
  private pending: ((body: Uint8Array) => AgentReply) | null = null;

  constructor(private readonly onReply: (r: AgentReply) => void) {}

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.body && this.pending) {
        const n = Math.min(bytes.length - i, this.body.length - this.filled);
        this.body.set(bytes.subarray(i, i + n), this.filled);
        this.filled += n;
        i += n;
        if (this.filled === this.body.length) this.finishBody();
        continue;
      }
      const byte = bytes[i++] as number;
      if (byte !== 0x0a) {
        // A header is one short line; anything longer is not ours.
        if (this.head.length < 8192) this.head.push(byte);
        continue;
      }
      const line = decoder.decode(Uint8Array.from(this.head));
      this.head = [];
      this.header(line);
    }
  }

  private finishBody(): void {
    const make = this.pending;
    const body = this.body;
    this.pending = null;
    this.body = null;
    this.filled = 0;
    if (make && body) this.onReply(make(body));
  }

  private expect(size: number, make: (body: Uint8Array) => AgentReply): void {
    this.body = new Uint8Array(size);
    this.filled = 0;
    this.pending = make;
    if (size === 0) this.finishBody();
  }

  private header(line: string): void {
    const [kind, idText, ...rest] = line.split(' ');
    const id = Number(idText);
    if (kind === 'hello') this.onReply({ kind: 'hello' });
    else if (kind === 'ok') this.onReply({ kind: 'ok', id });
    else if (kind === 'err') this.onReply({ kind: 'err', id, message: rest.join(' ') });
    else if (kind === 'done') {
      const status = Number(rest[0]);
      this.expect(Number(rest[1]), (output) => ({ kind: 'done', id, status, output }));
    } else if (kind === 'file') {
      const name = rest.slice(1).join(' ');
      this.expect(Number(rest[0]), (data) => ({ kind: 'file', id, name, data }));
    }
    // Anything else is not a reply (a guest program writing to
    // /dev/host_stdout): ignored.
  }
}
