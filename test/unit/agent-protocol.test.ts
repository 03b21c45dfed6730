// The host's side of the agent protocol (src/core/agent-protocol.ts): replies
// are found however the stream is cut into pieces; requests are well formed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AgentReplyDecoder,
  getRequest,
  putRequest,
  runRequest,
  shellStatus,
  type AgentReply,
} from '../../src/core/agent-protocol.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function decodeInPieces(stream: Uint8Array, piece: number): AgentReply[] {
  const out: AgentReply[] = [];
  const d = new AgentReplyDecoder((r) => out.push(r));
  for (let i = 0; i < stream.length; i += piece) d.push(stream.subarray(i, i + piece));
  return out;
}

describe('agent protocol', () => {
  const body = new Uint8Array([0, 10, 255, 10, 1]); // newlines inside a body are data
  const stream = new Uint8Array([
    ...enc('hello 0\nok 1\nerr 2 /x: No such file or directory\n'),
    ...enc(`done 3 768 ${body.length}\n`),
    ...body,
    ...enc('noise from some program\n'),
    ...enc('file 0 3 my file.txt\nabc'),
    ...enc('done 4 0 0\n'),
  ]);

  for (const piece of [1, 2, 7, 1000]) {
    test(`replies come out whole with ${piece}-byte pieces`, () => {
      const r = decodeInPieces(stream, piece);
      assert.deepEqual(
        r.map((x) => x.kind),
        ['hello', 'ok', 'err', 'done', 'file', 'done'],
      );
      const done = r[3] as Extract<AgentReply, { kind: 'done' }>;
      assert.equal(done.id, 3);
      assert.equal(shellStatus(done.status), 3);
      assert.deepEqual([...done.output], [...body]);
      const file = r[4] as Extract<AgentReply, { kind: 'file' }>;
      assert.equal(file.name, 'my file.txt');
      assert.equal(new TextDecoder().decode(file.data), 'abc');
      assert.equal(
        (r[2] as Extract<AgentReply, { kind: 'err' }>).message,
        '/x: No such file or directory',
      );
      assert.equal((r[5] as Extract<AgentReply, { kind: 'done' }>).output.length, 0);
    });
  }

  test('requests', () => {
    assert.equal(
      new TextDecoder().decode(putRequest(5, '/root/a b', 0o755, 12)),
      'put 5 755 12 /root/a b\n',
    );
    assert.equal(new TextDecoder().decode(runRequest(6, 'echo é')), 'run 6 7\necho é');
    assert.equal(new TextDecoder().decode(getRequest(7, 'x')), 'get 7 x\n');
    assert.throws(() => putRequest(1, 'a\nb', 0o644, 0));
    assert.throws(() => getRequest(1, ''));
  });

  test('shell statuses: exit code, or 128 + signal', () => {
    assert.equal(shellStatus(0), 0);
    assert.equal(shellStatus(3 << 8), 3);
    assert.equal(shellStatus(15), 143);
  });
});
