// wasmlinux-cc's output may be something other than a regular file:
// configure scripts link test programs to /dev/null. Such an output is only
// written to; replacing it (rename) or chmod'ing it would break the host.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileGuestProgram } from '../../tools/build/guest-cc.js';
import { haveBuild } from '../helpers/guest.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmlinux-cc-out-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('wasmlinux-cc output', { skip: !haveBuild() && 'run `npm run build` first' }, () => {
  test('a FIFO as output stays a FIFO, with its mode, and receives the program', async () => {
    const src = join(dir, 'p.c');
    writeFileSync(src, 'int main(void) { return 0; }\n');
    const fifo = join(dir, 'out');
    execFileSync('mkfifo', ['-m', '0620', fifo]);
    const chunks: Buffer[] = [];
    const read = new Promise<void>((resolve, reject) => {
      createReadStream(fifo)
        .on('data', (c) => chunks.push(c as Buffer))
        .on('end', resolve)
        .on('error', reject);
    });
    await compileGuestProgram(fifo, [src], { cflags: ['-O2'] });
    await read;
    const st = statSync(fifo);
    assert.ok(st.isFIFO(), 'the output is still a FIFO');
    assert.equal(st.mode & 0o777, 0o620, 'its mode is unchanged');
    const bytes = Buffer.concat(chunks);
    assert.deepEqual(
      [...bytes.subarray(0, 4)],
      [0x00, 0x61, 0x73, 0x6d],
      'a wasm module came through',
    );
  });
});
