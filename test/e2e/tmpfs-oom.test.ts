// /tmp behaves like tmpfs on a normal Linux (sparse files, a size limit of
// half the memory, df that shows use), and running out of kernel memory is
// reported in one line unless the kernel log is asked for.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { haveBuild, mustMatch, runCli } from '../helpers/guest.js';

const skip = !haveBuild() && 'run `npm run build` first';

/** `df -k DIR`'s numbers: total, used, available (KiB). */
function dfLine(out: string, label: string): { total: number; used: number; avail: number } {
  const m = new RegExp(`^${label} \\S+\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(out);
  if (!m) throw new Error(`no df line for ${label} in:\n${out}`);
  return { total: Number(m[1]), used: Number(m[2]), avail: Number(m[3]) };
}

describe('/tmp', { skip, timeout: 180_000 }, () => {
  it('fills up with ENOSPC for the writer, at half the memory, and df shows it', async () => {
    const script = [
      'df -k /tmp | sed -n "2s/^/empty /p"',
      'dd if=/dev/zero of=/tmp/big bs=1M count=300 2>/dd.err; echo "dd status $?"',
      'cat /dd.err',
      'df -k /tmp | sed -n "2s/^/full /p"',
      'ls -l /tmp/big',
      'rm /tmp/big',
      'df -k /tmp | sed -n "2s/^/freed /p"',
      'echo alive',
    ].join('\n');
    const r = await runCli(['--mem', '128M', '--', 'sh', '-c', script], { timeoutMs: 150_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^dd status 1$/m, out);
    assert.match(out, /No space left on device/, out);
    const empty = dfLine(out, 'empty');
    const full = dfLine(out, 'full');
    const freed = dfLine(out, 'freed');
    // Half of the memory the kernel manages (a little under 128 MiB).
    assert.ok(empty.total > 40 * 1024 && empty.total <= 64 * 1024, `size ${empty.total} KiB`);
    assert.equal(full.used, full.total, out);
    assert.equal(full.avail, 0, out);
    assert.ok(freed.used < 1024, `still ${freed.used} KiB used after rm:\n${out}`);
    const size = Number(mustMatch(r, /^-\S+\s+\d+\s+\S+\s+\S+\s+(\d+) .*\/tmp\/big$/m)[1]);
    assert.equal(size, full.used * 1024, 'the file holds what df counts');
    assert.match(out, /^alive$/m);
    assert.doesNotMatch(r.stderr, /Call trace|out of memory/, r.stderr);
  });

  it('grows files sparsely past 4 MiB with seek and truncate', async () => {
    const script = [
      'dd if=/dev/zero of=/tmp/f bs=1024 seek=10240 count=1 2>/dev/null; echo "dd $?"',
      'dd if=/dev/null of=/tmp/g bs=1M seek=1024 count=0 2>/dev/null; echo "truncate $?"',
      'ls -l /tmp/f /tmp/g',
      'du -k /tmp/f /tmp/g',
      'echo abc >> /tmp/g; tail -c 4 /tmp/g',
      'df -k /tmp | sed -n "2s/^/df /p"',
    ].join('\n');
    const r = await runCli(['--', 'sh', '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^dd 0$/m, r.stdout);
    assert.match(r.stdout, /^truncate 0$/m, r.stdout);
    assert.match(r.stdout, /\s10486784 .*\/tmp\/f$/m, r.stdout);
    assert.match(r.stdout, /\s1073741824 .*\/tmp\/g$/m, r.stdout);
    // One 4 KiB page of data each (plus the page "abc" went to): sparse.
    const du = (name: string): number =>
      Number(mustMatch(r, new RegExp(`^(\\d+)\\s+${name}$`, 'm'))[1]);
    assert.ok(du('/tmp/f') <= 8, r.stdout);
    assert.ok(du('/tmp/g') <= 8, r.stdout);
    assert.match(r.stdout, /^abc$/m);
    assert.ok(dfLine(r.stdout, 'df').used <= 16, r.stdout);
  });
});

describe('out of kernel memory', { skip, timeout: 180_000 }, () => {
  // ramfs has no size limit: filling it takes the kernel's memory.
  const script =
    'mkdir -p /mnt/r && mount -t ramfs none /mnt/r && dd if=/dev/zero of=/mnt/r/x bs=1M count=400';

  it('says in one line which process was killed and how to give more memory', async () => {
    const r = await runCli(['--mem', '64M', '--', 'sh', '-c', script], { timeoutMs: 150_000 });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('wasmlinux: out of memory'));
    assert.ok(lines.length >= 1, `no out-of-memory line:\n${r.stderr}`);
    assert.match(
      lines[0] ?? '',
      /^wasmlinux: out of memory: the kernel killed process \d+ \(\w+\); give the machine more memory with --mem \(now 64M\)$/,
    );
    assert.doesNotMatch(r.stderr, /Call trace|invoked oom-killer|at wasm:\/\//, r.stderr);
  });

  it("shows the kernel's full report with --verbose", async () => {
    const r = await runCli(['--verbose', '--mem', '64M', '--', 'sh', '-c', script], {
      timeoutMs: 150_000,
    });
    const all = r.stdout + r.stderr;
    assert.match(all, /invoked oom-killer/);
    assert.match(all, /Call trace:/);
    assert.match(all, /Out of memory: Killed process \d+/);
  });
});
