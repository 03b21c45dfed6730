// BusyBox applets of the interactive system (issue 4): processes, memory,
// mounts, the kernel log, text tools, timers, the machine's shutdown. Each
// result is checked against something computed apart from the applet: the
// kernel's own files (/proc/meminfo, /proc/mounts, /proc/version, ...) read
// in the same guest run, the host's clock, or what this test computes from
// the same bytes (hexdump, strings).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  guestTiming,
  haveBuild,
  initramfsPlus,
  mustMatch,
  ROOT,
  runCli,
  type RunResult,
  timedInGuest,
} from '../helpers/guest.js';
import { PtySession } from '../helpers/pty.js';

const SIGTERM = constants.signals.SIGTERM;
const SIGKILL = constants.signals.SIGKILL;
const SIGUSR1 = constants.signals.SIGUSR1;

let dir = '';
let initrd = '';
let text: Buffer;
let blob: Buffer;
let session: PtySession | null = null;

/** Run a script with the guest's sh; the status must be 0 unless said otherwise. */
async function sh(script: string, status = 0, extra: string[] = []): Promise<RunResult> {
  const r = await runCli([...extra, '--initrd', initrd, '--', 'sh', '-c', script], {
    timeoutMs: 60_000,
  });
  assert.equal(r.timedOut, false, `timed out:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, status, `exit status ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The part of a run's output between `==NAME==` and the next marker (or the end). */
function section(r: RunResult, name: string): string {
  const start = r.stdout.indexOf(`==${name}==\n`);
  assert.ok(start >= 0, `no ==${name}== in:\n${r.stdout}`);
  const rest = r.stdout.slice(start + name.length + 5);
  const end = rest.search(/^==\w+==$/m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** `Key: value kB` lines of /proc/meminfo, in kB. */
function meminfo(textIn: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of textIn.split('\n')) {
    const f = /^(\w+):\s+(\d+)/.exec(l);
    if (f?.[1] !== undefined && f[2] !== undefined) m.set(f[1], Number(f[2]));
  }
  return m;
}

function need(m: Map<string, number>, key: string): number {
  const v = m.get(key);
  assert.ok(v !== undefined, `no ${key} in /proc/meminfo`);
  return v;
}

/** `hexdump -C` as util-linux prints it: 16 bytes a line, repeated lines as one `*`. */
function hexdumpC(data: Buffer): string {
  const lines: string[] = [];
  let previous = '';
  let squeezing = false;
  for (let off = 0; off < data.length; off += 16) {
    const chunk = data.subarray(off, off + 16);
    const key = chunk.toString('hex');
    if (chunk.length === 16 && key === previous) {
      if (!squeezing) lines.push('*');
      squeezing = true;
      continue;
    }
    previous = key;
    squeezing = false;
    let hex = '';
    for (let i = 0; i < 16; i++) {
      const b = chunk[i];
      hex += b === undefined ? '   ' : `${b.toString(16).padStart(2, '0')} `;
      if (i === 7) hex += ' ';
    }
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${ascii.join('')}|`);
  }
  lines.push(data.length.toString(16).padStart(8, '0'));
  return lines.join('\n') + '\n';
}

/** Runs of at least `min` printable ASCII characters or tabs, with their offsets. */
function printableRuns(data: Buffer, min: number): { offset: number; text: string }[] {
  const runs: { offset: number; text: string }[] = [];
  let start = -1;
  for (let i = 0; i <= data.length; i++) {
    const b = data[i];
    const printable = b !== undefined && (b === 9 || (b >= 0x20 && b < 0x7f));
    if (printable) {
      if (start < 0) start = i;
    } else {
      if (start >= 0 && i - start >= min) {
        runs.push({ offset: start, text: data.toString('latin1', start, i) });
      }
      start = -1;
    }
  }
  return runs;
}

/** The ps/top table rows as column arrays (header dropped). */
function rows(table: string): string[][] {
  return table
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
}

describe('BusyBox applets', { timeout: 600_000 }, () => {
  before(() => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-applets-'));
    text = readFileSync(join(ROOT, 'test/e2e/applets.test.ts'));
    const noise = createHash('sha512').update('applets').digest();
    // Every byte value; 64 zeros (three lines hexdump folds into `*`); text
    // runs of 3 to 6 characters between unprintable bytes, one with a tab;
    // then a run that ends the file and a partial last line.
    blob = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.alloc(64),
      Buffer.from('\x01abc\x02abcd\x03abcde\xffab\tcdef\x80'),
      noise,
      Buffer.from('\x00tail of the file'),
    ]);
    writeFileSync(join(dir, 'text'), text);
    writeFileSync(join(dir, 'blob'), blob);
    initrd = initramfsPlus(join(dir, 'initrd.cpio'), {
      '/data/text': [join(dir, 'text'), 0o644],
      '/data/blob': [join(dir, 'blob'), 0o644],
    });
  });
  afterEach(() => {
    session?.kill();
    session = null;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('free: sysinfo() agrees with /proc/meminfo and with --mem', async () => {
    const r = await sh('free; echo ==m==; free -m; echo ==meminfo==; cat /proc/meminfo', 0, [
      '--mem',
      '96M',
    ]);
    const info = meminfo(section(r, 'meminfo'));
    const total = need(info, 'MemTotal');
    // The kernel keeps a little of the 96 MiB for itself.
    assert.ok(total <= 96 * 1024 && total > 88 * 1024, `MemTotal ${total} kB with --mem 96M`);
    const mem = mustMatch(r, /^Mem:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m);
    const [kTotal, used, free, , cache, available] = mem.slice(1).map(Number);
    assert.equal(kTotal, total);
    assert.equal((used ?? 0) + (free ?? 0) + (cache ?? 0), total, 'used + free + buff/cache');
    // free ran a moment before cat: a few pages may have moved.
    assert.ok(Math.abs((free ?? 0) - need(info, 'MemFree')) < 1024, `free ${free}`);
    assert.ok(Math.abs((available ?? 0) - need(info, 'MemAvailable')) < 1024);
    const m = /^Mem:\s+(\d+)/m.exec(section(r, 'm'));
    assert.equal(Number(m?.[1]), Math.floor(total / 1024), 'free -m total');
    // No swap line: there is no swap on a NOMMU system.
    assert.doesNotMatch(r.stdout, /^Swap:/m);
  });

  it("uptime: the host's time of day, /proc/uptime and /proc/loadavg", async () => {
    const t0 = Date.now();
    const r = await sh('cat /proc/uptime /proc/loadavg; uptime');
    const t1 = Date.now();
    const [up, , l1, l5, l15] = r.stdout.split(/\s+/);
    const u = mustMatch(
      r,
      /^ (\d\d):(\d\d):(\d\d) up (\d+) min, {2}load average: (\d+\.\d\d), (\d+\.\d\d), (\d+\.\d\d)$/m,
    );
    // TZ is unset in the guest: UTC, like the host's clock in UTC.
    const guestSec = Number(u[1]) * 3600 + Number(u[2]) * 60 + Number(u[3]);
    const dayMs = 86_400_000;
    const lo = Math.floor((t0 % dayMs) / 1000) - 2;
    const hi = Math.ceil((t1 % dayMs) / 1000) + 2;
    const inRange = (s: number) => s >= lo && s <= hi;
    assert.ok(
      inRange(guestSec) || inRange(guestSec + 86_400) || inRange(guestSec - 86_400),
      `guest time ${u[1]}:${u[2]}:${u[3]} is not the host's UTC time`,
    );
    assert.ok(Math.abs(Number(u[4]) - Number(up) / 60) <= 1, `up ${u[4]} min, /proc/uptime ${up}`);
    assert.deepEqual(u.slice(5, 8), [l1, l5, l15]);
  });

  it('mount lists /proc/mounts; proc, sysfs, devtmpfs and tmpfs are where init put them', async () => {
    const r = await sh('mount; echo ==mounts==; cat /proc/mounts');
    const mounts = section(r, 'mounts').trim().split('\n');
    const expected = mounts.map((l) => {
      const [dev, point, type, opts] = l.split(' ');
      return `${dev} on ${point} type ${type} (${opts})`;
    });
    assert.deepEqual(
      r.stdout.slice(0, r.stdout.indexOf('==mounts==')).trim().split('\n'),
      expected,
    );
    const where = new Map(mounts.map((l) => [l.split(' ')[2], l.split(' ')[1]]));
    assert.equal(where.get('proc'), '/proc');
    assert.equal(where.get('sysfs'), '/sys');
    assert.equal(where.get('devtmpfs'), '/dev');
    assert.equal(where.get('tmpfs'), '/tmp');
  });

  it('mount -t tmpfs and umount: a new file system, and gone again', async () => {
    const r = await sh(
      [
        'mkdir /mnt',
        'mount -t tmpfs scratch /mnt',
        'echo ==mounted==; grep " /mnt " /proc/mounts',
        'echo hello > /mnt/f; echo ==df==; df -k /mnt; echo ==ls==; ls -A /mnt',
        'umount /mnt',
        'echo ==after==; grep -c " /mnt " /proc/mounts; ls -A /mnt',
      ].join('\n'),
    );
    assert.match(section(r, 'mounted'), /^scratch \/mnt tmpfs rw\S* 0 0\n$/);
    assert.match(section(r, 'df'), /^scratch\s+\d+\s+\d+\s+\d+\s+\d+% \/mnt$/m);
    assert.equal(section(r, 'ls'), 'f\n');
    // Unmounted: the line is gone, and so is the file (it was in the tmpfs).
    assert.equal(section(r, 'after'), '0\n');
  });

  it('df finds the file system a path is on, with the numbers statfs() gives', async () => {
    // Without an MMU, tmpfs is ramfs (SHMEM needs an MMU): no size, 0 blocks.
    const paths = ['/', '/tmp/a/b', '/proc/self', '/sys/kernel', '/dev'];
    const r = await sh(
      `mkdir -p /tmp/a/b; i=0; for p in ${paths.join(' ')}; do ` +
        'i=$((i+1)); echo "==p$i=="; df -k $p | tail -n 1; stat -f -c "%b %f %a %S" $p; done',
    );
    const want: Record<string, [string, string]> = {
      '/': ['rootfs', '/'],
      '/tmp/a/b': ['tmpfs', '/tmp'],
      '/proc/self': ['proc', '/proc'],
      '/sys/kernel': ['sysfs', '/sys'],
      '/dev': ['devtmpfs', '/dev'],
    };
    for (const [i, p] of paths.entries()) {
      const [df, st] = section(r, `p${i + 1}`)
        .trim()
        .split('\n');
      const f = (df ?? '').split(/\s+/);
      const [blocks, free, avail, bsize] = (st ?? '').split(' ').map(Number);
      const kb = (n: number | undefined) => String(((n ?? NaN) * (bsize ?? NaN)) / 1024);
      assert.deepEqual(
        [f[0], f[1], f[2], f[3], f[5]],
        [want[p]?.[0], kb(blocks), kb((blocks ?? NaN) - (free ?? NaN)), kb(avail), want[p]?.[1]],
        `df -k ${p}:\n${r.stdout}`,
      );
    }
  });

  it('dmesg has the kernel banner that /proc/version shows', async () => {
    const r = await sh('dmesg; echo ==version==; cat /proc/version');
    const version = section(r, 'version').trim();
    assert.match(version, /^Linux version 6\.12\./);
    const log = r.stdout.slice(0, r.stdout.indexOf('==version=='));
    const banner = /^\[\s*\d+\.\d{6}\] (Linux version .*)$/m.exec(log);
    assert.equal(banner?.[1], version);
    // Every line has a timestamp, and they do not go backwards.
    const times = log
      .trim()
      .split('\n')
      .map((l) => Number(/^\[\s*(\d+\.\d{6})\]/.exec(l)?.[1] ?? NaN));
    assert.ok(times.length > 10 && times.every((t, i) => t >= (times[i - 1] ?? 0)), log);
  });

  it('ps shows the shell, its background child and itself with the right parents', async () => {
    const r = await sh('sleep 30 & echo "$$ $!"; ps -o pid,ppid,comm; kill $!');
    const [shell, child] = (r.stdout.split('\n')[0] ?? '').split(' ');
    const table = rows(r.stdout.split('\n').slice(1).join('\n'));
    const byPid = new Map(table.map((c) => [c[0], c]));
    assert.deepEqual(byPid.get(child ?? ''), [child, shell, 'sleep'], r.stdout);
    assert.equal(byPid.get(shell ?? '')?.[2], 'sh', r.stdout);
    assert.equal(byPid.get('1')?.[1], '0', 'pid 1 has no parent');
    const ps = table.filter((c) => c[2] === 'ps');
    assert.equal(ps.length, 1, r.stdout);
    assert.equal(ps[0]?.[1], shell, 'ps is a child of the shell');
  });

  it('/proc/PID/cmdline and environ hold what execve() got; ps shows the arguments', async () => {
    const r = await sh(
      'X_MARK=here sleep 30 5 & p=$!; echo ==cmdline==; od -An -c /proc/$p/cmdline; echo ==environ==; tr "\\0" "\\n" < /proc/$p/environ; echo ==ps==; ps; kill $p',
    );
    // od -c shows each byte: "s l e e p \0 3 0 \0 5 \0".
    const bytes = section(r, 'cmdline').trim().split(/\s+/).join('');
    assert.equal(bytes, 'sleep\\030\\05\\0', r.stdout);
    assert.match(section(r, 'environ'), /^X_MARK=here$/m);
    assert.match(section(r, 'ps'), /^\s*\d+\s+root\s+\S+\s+sleep 30 5$/m);
  });

  it('top -b -n 1: its own line, memory as /proc/meminfo has it', async () => {
    const r = await sh(
      'echo $$; echo ==meminfo==; cat /proc/meminfo; echo ==top==; exec top -b -n 1',
    );
    const self = r.stdout.split('\n')[0];
    const total = need(meminfo(section(r, 'meminfo')), 'MemTotal');
    const top = section(r, 'top');
    const mem = /^Mem: (\d+)K used, (\d+)K free/m.exec(top);
    assert.ok(mem, top);
    assert.equal(Number(mem[1]) + Number(mem[2]), total, 'used + free');
    assert.match(top, /^CPU:.*% usr.*% sys.*% idle/m);
    const header = top.split('\n').findIndex((l) => /^\s*PID\s+PPID\s+USER/.test(l));
    assert.ok(header >= 0, top);
    const mine = rows(top.split('\n').slice(header).join('\n')).find((c) => c[0] === self);
    assert.ok(mine, `no line for top's own pid ${self}:\n${top}`);
    // COMMAND, after eight columns: the command line /proc/PID/cmdline holds.
    assert.equal(mine.slice(8).join(' '), 'top -b -n 1');
  });

  it('kill and killall: signals reach the processes, exit statuses are 128 + N', async () => {
    // Each sleep runs in a subshell that records how it ended (hush's `wait
    // PID` forgets jobs that ended before it is called).
    const r = await sh(
      [
        'sleeps() { while [ "$(ps -o comm | grep -c "^sleep$")" -ne $1 ]; do usleep 20000; done; }',
        'for x in a b c; do (sleep 30; echo "$x $?" > /tmp/st.$x) & done; sleeps 3',
        'killall sleep; echo "killall $?"; wait; sleeps 0; cat /tmp/st.a /tmp/st.b /tmp/st.c',
        '(sleep 30; echo "d $?" > /tmp/st.d) & sleeps 1; killall -USR1 sleep; wait; cat /tmp/st.d',
        '(sleep 30; echo "e $?" > /tmp/st.e) & sleeps 1',
        'kill -KILL $(ps -o pid,comm | awk \'$2 == "sleep" { print $1 }\'); wait; cat /tmp/st.e',
        'killall no-such-program; echo "none $?"',
      ].join('\n'),
    );
    assert.equal(
      r.stdout,
      [
        'killall 0',
        `a ${128 + SIGTERM}`,
        `b ${128 + SIGTERM}`,
        `c ${128 + SIGTERM}`,
        `d ${128 + SIGUSR1}`,
        `e ${128 + SIGKILL}`,
        'none 1',
        '',
      ].join('\n'),
    );
  });

  it('timeout kills a program that runs too long, with TERM or the signal given', async () => {
    const r = await sh(
      [
        's=$(date +%s); timeout 1 sleep 20; echo "term $? $(($(date +%s) - s))"',
        'timeout -s KILL 1 sleep 20; echo "kill $?"',
        'timeout 10 true; echo "true $?"',
        'timeout 10 false; echo "false $?"',
        's=$(date +%s); timeout 30 sleep 1; echo "quick $? $(($(date +%s) - s))"',
      ].join('\n'),
    );
    // BusyBox's timeout execs the program, so the shell sees it die of the signal.
    const term = mustMatch(r, /^term (\d+) (\d+)$/m);
    // Killed (143) means before sleep 20 was over; at least 1 s by the
    // guest's clock (whole seconds: truncating both readings keeps that
    // bound exact). No upper bound in seconds: starting the programs takes
    // longer on a busy host.
    assert.equal(Number(term[1]), 128 + SIGTERM);
    assert.ok(Number(term[2]) >= 1, `timeout 1 took ${term[2]} s`);
    assert.match(r.stdout, new RegExp(`^kill ${128 + SIGKILL}$`, 'm'));
    assert.match(r.stdout, /^true 0$/m);
    assert.match(r.stdout, /^false 1$/m);
    const quick = mustMatch(r, /^quick (\d+) (\d+)$/m);
    // timeout returns when the program does, not when its limit is up: the
    // bound is the limit itself (a waited-out limit shows as 30 or more),
    // which leaves a busy host 29 s to start two programs.
    assert.equal(quick[1], '0');
    assert.ok(Number(quick[2]) < 30, `timeout 30 sleep 1 took ${quick[2]} s`);
  });

  it('hexdump -C prints what the test computes from the same bytes', async () => {
    const r = await runCli(['--initrd', initrd, '--', 'hexdump', '-C', '/data/blob']);
    assert.equal(r.status, 0, r.stderr);
    const expected = hexdumpC(blob);
    assert.match(expected, /^\*$/m, 'the data should have folded lines');
    assert.equal(r.stdout, expected);
  });

  it('strings finds the runs of printable characters the test finds', async () => {
    const r = await runCli(['--initrd', initrd, '--', 'strings', '/data/blob']);
    assert.equal(r.status, 0, r.stderr);
    const runs = printableRuns(blob, 4);
    assert.ok(runs.some((x) => x.text.includes('\t')));
    assert.equal(r.stdout, runs.map((x) => x.text + '\n').join(''));
    const d = await runCli([
      '--initrd',
      initrd,
      '--',
      'strings',
      '-n',
      '6',
      '-t',
      'd',
      '/data/blob',
    ]);
    assert.equal(
      d.stdout,
      printableRuns(blob, 6)
        .map((x) => `${String(x.offset).padStart(7)} ${x.text}\n`)
        .join(''),
    );
  });

  it('less and more copy the file when standard output is not a terminal', async () => {
    for (const pager of ['less', 'more']) {
      const r = await runCli(['--initrd', initrd, '--', pager, '/data/text']);
      assert.equal(r.status, 0, `${pager}: ${r.stderr}`);
      assert.equal(r.stdout, text.toString('utf8'), pager);
    }
  });

  it('whoami and id: uid 0 and its name in /etc/passwd, as /proc/self/status says', async () => {
    const r = await sh(
      'whoami; id -u; id -un; id -g; echo ==status==; grep -E "^(Uid|Gid):" /proc/self/status; ' +
        'echo ==passwd==; cat /etc/passwd',
    );
    const [whoami, uid, uname, gid] = r.stdout.split('\n');
    const status = section(r, 'status');
    assert.equal(/^Uid:\s+(\d+)/m.exec(status)?.[1], uid);
    assert.equal(/^Gid:\s+(\d+)/m.exec(status)?.[1], gid);
    const entry = section(r, 'passwd')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[2] === uid);
    assert.equal(entry?.[0], whoami, 'whoami is the passwd name of the uid');
    assert.equal(uname, whoami);
    assert.equal(uid, '0');
    assert.equal(whoami, 'root');
  });

  it('hostname reads and sets the kernel host name', async () => {
    const r = await sh(
      'hostname; cat /proc/sys/kernel/hostname; hostname box.example; uname -n; hostname -s; ' +
        'cat /proc/sys/kernel/hostname',
    );
    const [name, proc, uname, short, proc2] = r.stdout.split('\n');
    assert.ok(name !== undefined && name !== '');
    assert.equal(proc, name);
    assert.deepEqual([uname, short, proc2], ['box.example', 'box', 'box.example']);
  });

  it('nproc counts the CPUs /proc/cpuinfo and /sys list', async () => {
    const r = await sh(
      'nproc; echo ==cpuinfo==; cat /proc/cpuinfo; echo ==online==; cat /sys/devices/system/cpu/online',
    );
    const n = Number(r.stdout.split('\n')[0]);
    const processors = section(r, 'cpuinfo').match(/^processor\s*:/gm)?.length;
    assert.equal(n, processors);
    // "0" or "0-3" (ranges separated by commas).
    const online = section(r, 'online')
      .trim()
      .split(',')
      .reduce((sum, range) => {
        const [a, b] = range.split('-').map(Number);
        return sum + ((b ?? a ?? 0) - (a ?? 0) + 1);
      }, 0);
    assert.equal(n, online);
  });

  it('watch re-runs a command every second until stopped', async () => {
    const start = Math.floor(Date.now() / 1000);
    const r = await sh('timeout 4 watch -n 1 -t date +%s; echo "status $?"');
    const end = Math.ceil(Date.now() / 1000);
    // Each round clears the screen (home, erase) and prints the output.
    // eslint-disable-next-line no-control-regex
    const frames = r.stdout.split(/\x1b\[H\x1b\[J/).slice(1);
    assert.ok(frames.length >= 2, `only ${frames.length} rounds:\n${r.stdout}`);
    const stamps = frames.map((f) => Number(f.split('\n')[0]));
    for (const [i, t] of stamps.entries()) {
      assert.ok(t >= start && t <= end, `time ${t} is outside ${start}..${end}`);
      if (i > 0) assert.ok(t > (stamps[i - 1] ?? 0), `times ${stamps.join(' ')} do not advance`);
    }
    assert.match(r.stdout, new RegExp(`^status ${128 + SIGTERM}$`, 'm'));
  });

  it('env, printenv, which, usleep, clear', async () => {
    const r = await sh(
      'env FOO=bar printenv FOO; printenv NO_SUCH_VAR; echo "unset $?"; ' +
        'which ls sh; which no-such-program; echo "which $?"',
    );
    assert.equal(r.stdout, 'bar\nunset 1\n/bin/ls\n/bin/sh\nwhich 1\n');
    // Timed by the guest's clock: how long a boot takes depends on how busy
    // the host is. Linux never ends a sleep early, and /proc/uptime
    // truncates both readings, so the bound is exact: at least 0.70 s.
    const slow = await runCli(['--', 'sh', '-c', timedInGuest('usleep 700000')]);
    const t = guestTiming(slow);
    assert.equal(t.status, 0);
    assert.ok(t.hundredths >= 70, `usleep 700000 took ${t.hundredths / 100} s in the guest`);
    // The guest's clock does not run fast: the host waited at least as long
    // (a lower bound only, which a busy host cannot break).
    assert.ok(slow.ms >= t.hundredths * 10, `the run took ${Math.round(slow.ms)} ms on the host`);
    const clear = await runCli(['--', 'clear']);
    // Cursor home, then erase to the end of the screen.
    assert.equal(clear.stdout, '\x1b[H\x1b[J');
  });

  it('ls colours file types only on a terminal, or when asked', async () => {
    const plain = await runCli(['--', 'ls', '-d', '/bin', '/bin/ls', '/etc/passwd']);
    assert.equal(plain.stdout, '/bin\n/bin/ls\n/etc/passwd\n');
    const r = await runCli(['--', 'ls', '--color=always', '-d', '/bin', '/bin/ls', '/etc/passwd']);
    // The classic LS_COLORS: directories bold blue, symlinks bold cyan.
    assert.match(r.stdout, /\x1b\[1;34m\/bin\x1b\[m/); // eslint-disable-line no-control-regex
    assert.match(r.stdout, /\x1b\[1;36m\/bin\/ls\x1b\[m/); // eslint-disable-line no-control-regex
    assert.doesNotMatch(r.stdout, /\x1b\[[\d;]*[1-9][\d;]*m\/etc\/passwd/); // eslint-disable-line no-control-regex
  });

  for (const [applet, message] of [
    ['poweroff', /reboot: Power down/],
    ['reboot', /reboot: Restarting system/],
    ['halt', /reboot: (Power down|System halted)/],
  ] as const) {
    it(`${applet} signals init, which stops the machine`, async () => {
      // The interactive system (/sbin/init and a shell reading this input).
      const r = await runCli(['--initrd', initrd], {
        input: `echo before-${applet}; ${applet}; sleep 60; echo "after-sleep $?"\n`,
        timeoutMs: 90_000,
      });
      const all = r.stdout + r.stderr;
      assert.equal(r.status, 0, all);
      assert.match(all, new RegExp(`^before-${applet}`, 'm'));
      assert.match(all, message);
      // The sleep was cut short: it did not run its 60 s to the end (status
      // 0), whatever the time on the host (the run's own timeout, above,
      // only ends a hang). Killed, it ends with 143 if the shell goes on at
      // all before the machine stops.
      assert.doesNotMatch(all, /after-sleep 0/, 'the sleep was not cut short');
    });
  }

  it('on a terminal: stty sets and reads modes, less pages and quits on q', async () => {
    const s = PtySession.wasmlinux([
      '--initrd',
      initrd,
      '--',
      'sh',
      '-c',
      'stty -echo; stty -a; stty echo; echo ==; stty -a; echo ==less; less /data/text; echo "less $?"',
    ]);
    session = s;
    await s.waitFor(/==less/, 30_000);
    const [off, on] = s.text().replace(/\r/g, '').split('\n==\n');
    assert.match(off ?? '', /(^|[\s;])-echo([\s;]|$)/m, 'stty -echo');
    assert.match(on ?? '', /(^|[\s;])echo([\s;]|$)/m, 'stty echo');
    // less shows the start of the file, then waits; q quits.
    const first = text.toString('utf8').split('\n')[0] ?? '';
    await s.waitFor(new RegExp(first.slice(0, 30).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    await s.settle(300);
    s.write('q');
    await s.waitFor(/less 0/);
    assert.equal((await s.exit()).exitCode, 0);
  });
});
