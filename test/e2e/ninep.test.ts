// Host directories in the guest over 9P: `wasmlinux --mount DIR:GUEST[:ro][:cache]`
// mounts DIR with Linux's own v9fs client through the arch's 9P transport
// (arch/wasm/kernel/9p.c) and the host's server (src/node/ninep). Every
// change the guest makes is checked on the host side, and the other way round.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveBuild, runCli, startCli } from '../helpers/guest.js';
import { cliMount, dirView, fileSemanticsChecks } from '../helpers/ninep-checks.js';

let top = '';
let dir = '';

function sh(script: string, mount = `${dir}:/mnt/host`): ReturnType<typeof runCli> {
  return runCli(['--mount', mount, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
}

describe('9P mounts (--mount)', { timeout: 300_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    top = mkdtempSync(join(tmpdir(), 'wasmlinux-9p-'));
    dir = join(top, 'export');
    mkdirSync(dir);
    writeFileSync(join(top, 'secret-outside'), 'not for the guest\n');
  });
  after(() => rmSync(top, { recursive: true, force: true }));

  fileSemanticsChecks(
    cliMount(
      dirView(() => dir),
      () => `${dir}:/mnt/host`,
    ),
  );

  describe('the same checks with :cache (the guest keeps names, attributes and data)', () => {
    let cached = '';
    before(() => {
      cached = join(top, 'cached');
      mkdirSync(cached);
    });
    fileSemanticsChecks(
      cliMount(
        dirView(() => cached),
        () => `${cached}:/mnt/host:cache`,
      ),
    );
    it('is mounted with names and attributes kept (CACHE_META|CACHE_LOOSE)', async () => {
      const r = await sh('grep " /mnt/host " /proc/mounts', `${cached}:/mnt/host:cache`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\bcache=0xa\b/);
    });
  });

  it('O_DIRECT reads and writes move the data (no page pinning needed)', async () => {
    const r = await sh(
      [
        'dd if=/dev/urandom of=/mnt/host/direct bs=64k count=64 oflag=direct 2>/dev/null',
        'dd if=/mnt/host/direct bs=64k iflag=direct 2>/dev/null | md5sum',
      ].join(' && '),
    );
    assert.equal(r.status, 0, r.stderr);
    const host = createHash('md5')
      .update(readFileSync(join(dir, 'direct')))
      .digest('hex');
    assert.equal(statSync(join(dir, 'direct')).size, 64 * 65536);
    assert.equal(r.stdout, `${host}  -\n`);
  });

  it('mount -o aname=DIR mounts a directory of the export', async () => {
    mkdirSync(join(dir, 'an', 'inner'), { recursive: true });
    writeFileSync(join(dir, 'an', 'inner', 'note'), 'inside the aname\n');
    const r = await sh(
      'mkdir /mnt/sub && mount -t 9p -o trans=wasm,version=9p2000.L,aname=an/inner host0 /mnt/sub && cat /mnt/sub/note && ls /mnt/sub',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'inside the aname\nnote\n');
  });

  it('file names that are not UTF-8 keep their exact bytes both ways', async () => {
    // Linux names are bytes: "a\\377b" made in the guest must be that on
    // the host, and the host's "h\\376i" must be listed, read, renamed and
    // removed by the guest. The exact bytes are checked with od, since ls
    // shows what it cannot print as "?".
    const hostNames = (): string[] =>
      readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex'));
    // Names written one char per byte ("\xff" is the byte 0xff, not "ÿ").
    const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
    const onHost = (name: string): Buffer =>
      Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, 'latin1')]);
    writeFileSync(onHost('h\xfei'), 'read through 9P\n');
    const r = await sh(
      [
        'cd /mnt/host',
        `touch "$(printf 'a\\377b')"`,
        `ln -s "$(printf 't\\376')" "$(printf 'l\\377')"`,
        'ls -1 | grep -x "h?i"',
        `cat "$(printf 'h\\376i')"`,
        // Every name as hex, one per line, as the guest's readdir gave them.
        `for f in *; do printf '%s' "$f" | od -An -tx1 | tr -d ' \\n'; echo; done > /tmp/names`,
        // $(…) drops the newline readlink ends its output with.
        `printf '%s' "$(readlink "$(printf 'l\\377')")" | od -An -tx1 | tr -d ' \\n' > /tmp/target`,
        `mv "$(printf 'h\\376i')" "$(printf 'r\\375s')"`,
        `cat "$(printf 'r\\375s')"`,
        'echo; cat /tmp/names; echo "target $(cat /tmp/target)"',
      ].join(' && '),
    );
    assert.equal(r.status, 0, r.stderr);
    const [shown, first, second, , ...rest] = r.stdout.split('\n');
    assert.equal(shown, 'h?i', r.stdout);
    assert.equal(first, 'read through 9P');
    assert.equal(second, 'read through 9P');
    assert.ok(rest.includes(hex('h\xfei')), `guest readdir: ${r.stdout}`);
    assert.ok(rest.includes(hex('a\xffb')), `guest readdir: ${r.stdout}`);
    assert.ok(rest.includes(`target ${hex('t\xfe')}`), r.stdout);
    // The host side, as bytes.
    const names = hostNames();
    assert.ok(names.includes(hex('a\xffb')), `host has ${names.join(' ')}`);
    assert.ok(names.includes(hex('r\xfds')) && !names.includes(hex('h\xfei')), names.join(' '));
    const target = readlinkSync(onHost('l\xff'), { encoding: 'buffer' });
    assert.equal(target.toString('hex'), hex('t\xfe'));
    assert.equal(readFileSync(onHost('r\xfds'), 'utf8'), 'read through 9P\n');

    const del = await sh(
      `cd /mnt/host && rm "$(printf 'r\\375s')" "$(printf 'a\\377b')" "$(printf 'l\\377')" && ls -1 | grep -c '?' || true`,
    );
    assert.equal(del.status, 0, del.stderr);
    assert.equal(del.stdout, '0\n');
    const after = hostNames();
    for (const gone of ['r\xfds', 'a\xffb', 'l\xff'])
      assert.ok(!after.includes(hex(gone)), `${gone} still on the host: ${after.join(' ')}`);
  });

  it('a read-only export refuses writes with EROFS', async () => {
    const r = await sh('cat /mnt/ro/from-host.txt; touch /mnt/ro/new 2>&1', `${dir}:/mnt/ro:ro`);
    assert.match(r.stdout, /written by the host/);
    assert.match(r.stdout, /Read-only file system/);
    assert.ok(!existsSync(join(dir, 'new')));
  });

  it('symlinks out of the export never reach host files outside it', async () => {
    symlinkSync('../secret-outside', join(dir, 'escape-rel'));
    symlinkSync(join(top, 'secret-outside'), join(dir, 'escape-abs'));
    const r = await sh(
      'cat /mnt/host/escape-rel 2>&1; cat /mnt/host/escape-abs 2>&1; cat /mnt/host/../secret-outside 2>&1; ls /mnt/host/.. | grep -c secret',
    );
    assert.doesNotMatch(r.stdout, /not for the guest/);
    assert.ok(lstatSync(join(dir, 'escape-rel')).isSymbolicLink());
  });

  it('a directory swapped for a symlink under an open fid does not lead outside', async () => {
    // Two mounts of one export: a rename through /mnt/b is news to /mnt/a's
    // server, whose fid for the shell's cwd still names d/sub. Through the
    // symlink that now stands at d, d/sub/secret would be a file outside.
    mkdirSync(join(top, 'sub'));
    writeFileSync(join(top, 'sub', 'secret'), 'not for the guest either\n');
    const r = await runCli(
      [
        '--mount',
        `${dir}:/mnt/a`,
        '--mount',
        `${dir}:/mnt/b`,
        '--',
        'sh',
        '-c',
        `mkdir -p /mnt/a/d/sub && cd /mnt/a/d/sub && mv /mnt/b/d /mnt/b/moved && ln -s ${top} /mnt/b/d && cat secret; ls; echo done`,
      ],
      { timeoutMs: 60_000 },
    );
    assert.ok(lstatSync(join(dir, 'd')).isSymbolicLink(), r.stdout + r.stderr);
    assert.match(r.stdout, /done/);
    assert.doesNotMatch(r.stdout, /not for the guest|secret\n/);
    assert.match(r.stderr + r.stdout, /Permission denied/);
  });

  it('what the host changes while the guest runs shows at once (no cache)', async () => {
    writeFileSync(join(dir, 'live.txt'), 'before\n');
    writeFileSync(join(dir, 'gone.txt'), 'here\n');
    writeFileSync(join(dir, 'swapped.txt'), 'old file\n');
    const script = [
      'cd /mnt/host',
      'cat live.txt gone.txt swapped.txt',
      'stat -c %s live.txt',
      'ls born 2>/dev/null || echo "no born"',
      'echo READY',
      'read go',
      'cat live.txt',
      'stat -c %s live.txt',
      'cat born',
      'cat gone.txt 2>/dev/null || echo "gone is gone"',
      'cat swapped.txt',
      'grep " /mnt/host " /proc/mounts | grep -o "cache=[^,]*" || echo "no cache option"',
    ].join('; ');
    const run = startCli(['--mount', `${dir}:/mnt/host`, '--', 'sh', '-c', script], {
      timeoutMs: 120_000,
    });
    await run.waitForStdout(/READY/);
    writeFileSync(join(dir, 'live.txt'), 'after, and longer\n');
    writeFileSync(join(dir, 'born'), 'made by the host\n');
    rmSync(join(dir, 'gone.txt'));
    // A new file renamed over the old one: another inode under the same name.
    writeFileSync(join(dir, 'swapped.new'), 'new file\n');
    renameSync(join(dir, 'swapped.new'), join(dir, 'swapped.txt'));
    run.write('go\n');
    const r = await run.finish();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'before',
        'here',
        'old file',
        '7',
        'no born',
        'READY',
        'after, and longer',
        '18',
        'made by the host',
        'gone is gone',
        'new file',
        'no cache option',
        '',
      ].join('\n'),
    );
  });

  it('a bad --mount is refused with a clear message', async () => {
    const r = await runCli(['--mount', `${join(top, 'nope')}:/mnt/x`, '--', 'true']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not a directory/);
    const rel = await runCli(['--mount', `${dir}:relative`, '--', 'true']);
    assert.equal(rel.status, 2);
    assert.match(rel.stderr, /absolute/);
  });
});
