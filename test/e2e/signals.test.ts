// Signal handlers (arch/wasm/kernel/signal.c, musl's __wasm_sigentry): run
// on the way out of a system call (or before one, for a signal that came
// while user code ran), with siginfo, masks, nesting, EINTR and
// SA_RESTART, SIGCHLD, and handlers that exit or trap (signals.c). Then
// signals between processes (signals2.c): kill(pid, 0), wait statuses for
// exits, kills, stops and continues, SIGCHLD's siginfo and SA_NOCLDSTOP,
// sigsuspend, sigaction's flags, default actions, SIG_IGN, sigprocmask.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootMuslProgram, haveBuild, mustMatch, type RunResult } from '../helpers/guest.js';

let dir = '';
let result: RunResult;

/** The values on the line `name: key value key value …` of a run's output. */
function nums(name: string, r: RunResult = result): number[] {
  const m = mustMatch(r, new RegExp(`^${name}: (.*?)\\r?$`, 'm'));
  return (m[1] ?? '')
    .split(/\s+/)
    .filter((_, i) => i % 2 === 1)
    .map(Number);
}

describe('signal handlers', { timeout: 120_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-signals-'));
    ({ result } = await bootMuslProgram(dir, 'signals.c'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs to power-off', () => {
    assert.equal(result.status, 0, `${result.stderr}\n${result.stdout}`);
  });

  it('a handler runs before kill() returns, with its signal blocked until it returns', () => {
    // usr1 count, blocked inside the handler, blocked after it
    assert.deepEqual(nums('kill'), [1, 1, 0]);
  });

  it('a signal raised inside a handler runs its own handler there (nested)', () => {
    // usr1 count, usr2 count, SIGUSR2 ran while in the SIGUSR1 handler, si_code SI_TKILL
    assert.deepEqual(nums('nested'), [2, 1, 1, 1]);
  });

  it('an SA_SIGINFO handler gets the sender, the code and the queued value', () => {
    // SIGUSR2 is 12; handler count; SI_QUEUE; the value; si_pid is us
    assert.deepEqual(nums('siginfo'), [12, 2, 1, 42, 1]);
  });

  it('a blocked signal stays pending, and runs when unblocked', () => {
    assert.deepEqual(nums('blocked'), [2, 1]);
    assert.deepEqual(nums('unblocked'), [3]);
  });

  it('pause() returns EINTR after a timer signal', () => {
    const m = mustMatch(result, /^pause: (-?\d+) errno (.*) alarms (\d+)\r?$/m);
    assert.equal(m[1], '-1');
    assert.equal(m[2], 'Interrupted system call');
    assert.equal(m[3], '1');
  });

  it('a blocking read fails with EINTR without SA_RESTART and is restarted with it', () => {
    const plain = mustMatch(result, /^no-restart: read (-?\d+) errno (.*) alarms (\d+) byte (.)/m);
    assert.deepEqual(plain.slice(1), ['-1', 'Interrupted system call', '1', '-']);
    const restarted = mustMatch(result, /^restart: read (-?\d+) errno (.*) alarms (\d+) byte (.)/m);
    assert.deepEqual(restarted.slice(1), ['1', '-', '1', 'x']);
  });

  it('SIGCHLD reports a vfork child that exited, and waitpid still reaps it', () => {
    assert.deepEqual(nums('sigchld'), [1, 3, 1, 1]);
  });

  it('a handler that traps kills its process with SIGILL; one that exits sets the status', () => {
    assert.deepEqual(nums('trap-in-handler'), [1, 4]);
    assert.deepEqual(nums('exit-in-handler'), [1, 55]);
  });

  it('a signal sent while user code runs is handled before the next system call, which then runs in full', () => {
    // nanosleep's result, its errno, handler runs: 0 0 1, not -1 EINTR 1
    // (the call made first, failed by a signal older than itself).
    assert.deepEqual(nums('before-call'), [0, 0, 1]);
  });
});

// Linux's numbers (not the host's: os.constants may differ).
const SIGHUP = 1;
const SIGINT = 2;
const SIGQUIT = 3;
const SIGKILL = 9;
const SIGUSR1 = 10;
const SIGSEGV = 11;
const SIGTERM = 15;
const SIGCHLD = 17;
const SIGCONT = 18;
const SIGSTOP = 19;
const SIGTSTP = 20;
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const CLD_STOPPED = 5;
const CLD_CONTINUED = 6;
const ESRCH = 3;
const EINTR = 4;
const EINVAL = 22;
const SA_RESTART = 0x10000000;

type WaitStatus =
  | { exited: number }
  | { signaled: number; core: boolean }
  | { stopped: number }
  | { continued: true }
  | { invalid: number };

/** A raw wait status decoded as <sys/wait.h> does, independently of the guest's libc. */
function decode(status: number): WaitStatus {
  if (status < 0 || status > 0xffff) return { invalid: status };
  if (status === 0xffff) return { continued: true };
  if ((status & 0xff) === 0x7f) return { stopped: status >> 8 };
  if ((status & 0x7f) === 0) return { exited: status >> 8 };
  return { signaled: status & 0x7f, core: (status & 0x80) !== 0 };
}

const exited = (code: number): WaitStatus => ({ exited: code });
const killedBy = (sig: number): WaitStatus => ({ signaled: sig, core: false });

describe('signals between processes', { timeout: 120_000 }, () => {
  let dir2 = '';
  let r2: RunResult;
  /** The values on a line of signals2.c's output. */
  const line = (name: string): number[] => nums(name, r2);
  /** The values on a line named name as a record key → value. */
  const fields = (name: string): Record<string, number> => {
    const m = mustMatch(r2, new RegExp(`^${name}: (.*?)\\r?$`, 'm'));
    const words = (m[1] ?? '').split(/\s+/);
    const out: Record<string, number> = {};
    for (let i = 0; i + 1 < words.length; i += 2) out[words[i] ?? ''] = Number(words[i + 1]);
    return out;
  };
  /** One SIGCHLD report: how many came, and the siginfo of the last. */
  const chld = (name: string) => {
    const f = fields(name);
    return {
      count: f.count,
      signo: f.signo,
      code: f.code,
      pidOk: (f.pid ?? 0) > 0 && f.pid === f.child,
      status: f.status,
    };
  };

  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir2 = mkdtempSync(join(tmpdir(), 'wasmlinux-signals2-'));
    ({ result: r2 } = await bootMuslProgram(dir2, 'signals2.c'));
  });
  after(() => rmSync(dir2, { recursive: true, force: true }));

  it('runs to power-off, its test process to the end', () => {
    assert.equal(r2.status, 0, `${r2.stderr}\n${r2.stdout}`);
    mustMatch(r2, /^main: done\r?$/m);
    assert.deepEqual(decode(line('main-status')[0] ?? -1), exited(0));
  });

  it('kill(pid, 0) finds a live process and a zombie, and fails with ESRCH once it is reaped', () => {
    // live r errno, zombie r errno, waitid(WNOWAIT)'s si_code, reaped r errno
    assert.deepEqual(line('kill0'), [0, 0, 0, 0, CLD_KILLED, -1, ESRCH]);
  });

  it('waitpid reports _exit(N) with WIFEXITED and WEXITSTATUS', () => {
    const f = fields('wait-exit');
    assert.deepEqual(decode(f.code0 ?? -1), exited(0));
    assert.deepEqual(decode(f.code7 ?? -1), exited(7));
    assert.deepEqual(decode(f.code255 ?? -1), exited(255));
  });

  it('waitpid reports a child killed by SIGTERM, SIGKILL, SIGQUIT, SIGSEGV, without a core', () => {
    const f = fields('wait-killed');
    assert.deepEqual(decode(f.term ?? -1), killedBy(SIGTERM));
    assert.deepEqual(decode(f.kill ?? -1), killedBy(SIGKILL));
    assert.deepEqual(decode(f.quit ?? -1), killedBy(SIGQUIT));
    assert.deepEqual(decode(f.segv ?? -1), killedBy(SIGSEGV));
  });

  it('SIGSTOP and SIGTSTP stop a child sleeping in a system call, SIGCONT resumes its sleep', () => {
    const f = fields('wait-stop');
    assert.deepEqual(decode(f.stop ?? -1), { stopped: SIGSTOP });
    assert.equal(f.nohang, 0, 'waitpid without WUNTRACED does not report the stop');
    assert.deepEqual(decode(f.cont ?? -1), { continued: true });
    assert.deepEqual(decode(f.tstp ?? -1), { stopped: SIGTSTP });
    assert.deepEqual(decode(f.cont2 ?? -1), { continued: true });
    // Still asleep when killed: an interrupted nanosleep would have exited 49 or 50 + errno.
    assert.deepEqual(decode(f.kill ?? -1), killedBy(SIGKILL));
    const s = mustMatch(r2, /^stop-states: before (.) stopped (.) after (.)/m);
    assert.deepEqual(s.slice(1), ['S', 'T', 'S']);
  });

  it('SIGCHLD tells the parent a child exited or was killed (CLD_EXITED, CLD_KILLED)', () => {
    const one = { count: 1, signo: SIGCHLD, pidOk: true };
    assert.deepEqual(chld('chld-exit'), { ...one, code: CLD_EXITED, status: 5 });
    assert.deepEqual(chld('chld-killed'), { ...one, code: CLD_KILLED, status: SIGKILL });
  });

  it('SIGCHLD tells the parent a child stopped and continued (CLD_STOPPED, CLD_CONTINUED)', () => {
    const one = { count: 1, signo: SIGCHLD, pidOk: true };
    assert.deepEqual(chld('chld-stopped'), { ...one, code: CLD_STOPPED, status: SIGSTOP });
    assert.deepEqual(chld('chld-continued'), { ...one, code: CLD_CONTINUED, status: SIGCONT });
    assert.deepEqual(chld('chld-killed2'), { ...one, code: CLD_KILLED, status: SIGKILL });
  });

  it('SA_NOCLDSTOP suppresses SIGCHLD for stops and continues, not for the kill', () => {
    assert.equal(chld('nocldstop-stopped').count, 0);
    assert.equal(chld('nocldstop-continued').count, 0);
    assert.deepEqual(chld('nocldstop-killed'), {
      count: 1,
      signo: SIGCHLD,
      pidOk: true,
      code: CLD_KILLED,
      status: SIGKILL,
    });
  });

  it('sigsuspend unblocks and waits, returns EINTR after the handler, and restores the mask', () => {
    const f = fields('sigsuspend');
    assert.equal(f.r, -1);
    assert.equal(f.errno, EINTR);
    assert.equal(f.alarms, 1);
    assert.ok((f['waited-ms'] ?? 0) >= 40, `waited only ${f['waited-ms']} ms for a 50 ms timer`);
    // Inside the handler: sigsuspend's mask (SIGUSR2) plus the handler's own signal.
    assert.equal(f['usr2-blocked-inside'], 1);
    assert.equal(f['alrm-blocked-inside'], 1);
    // After: the mask from before sigsuspend.
    assert.equal(f['alrm-blocked-after'], 1);
    assert.equal(f['usr2-blocked-after'], 0);
    // A signal already pending when sigsuspend unblocks it: no lost wake-up.
    assert.deepEqual(line('sigsuspend-pending'), [0, -1, EINTR, 1, 1]);
  });

  it('SA_RESETHAND: the second delivery takes the default action', () => {
    // handler calls, then the handler sigaction reports (SIG_DFL)
    assert.deepEqual(line('resethand-child'), [1, 0]);
    assert.deepEqual(decode(line('resethand')[0] ?? -1), killedBy(SIGUSR1));
  });

  it('SA_NODEFER leaves the signal unblocked in its handler, so it nests', () => {
    // blocked inside, deepest nesting, handler calls
    assert.deepEqual(line('defer'), [1, 1, 2]);
    assert.deepEqual(line('nodefer'), [0, 2, 2]);
  });

  it('sa_mask is blocked inside the handler: a raised SIGUSR2 waits until it returns', () => {
    // blocked inside, SIGUSR2 handler runs inside, after, blocked after
    assert.deepEqual(line('sa-mask'), [1, 0, 1, 0]);
  });

  it('sigaction returns the old action; SIGKILL cannot be caught', () => {
    const f = fields('old-action');
    assert.equal(f.r, 0);
    // the first handler back from the second sigaction, the second one from a query
    assert.equal(f.old, f.first);
    assert.ok((f.old ?? 0) > 1, 'a function, not SIG_DFL or SIG_IGN');
    assert.equal(f.flags, SA_RESTART);
    assert.equal(f['mask-int'], 1);
    assert.equal(f['mask-term'], 0);
    assert.equal(f.now, f.second);
    assert.notEqual(f.now, f.old);
    // SIG_IGN is 1; sigaction(SIGKILL) fails with EINVAL
    assert.deepEqual(line('ign-action'), [1, -1, EINVAL]);
  });

  it('SIGCHLD, SIGWINCH and SIGURG are ignored by default', () => {
    const f = fields('default');
    // The child goes on to _exit(100) after raising the signal.
    assert.deepEqual(decode(f.chld ?? -1), exited(100));
    assert.deepEqual(decode(f.winch ?? -1), exited(100));
    assert.deepEqual(decode(f.urg ?? -1), exited(100));
  });

  it('SIGTERM, SIGINT, SIGHUP and SIGUSR1 terminate by default', () => {
    const f = fields('default');
    assert.deepEqual(decode(f.term ?? -1), killedBy(SIGTERM));
    assert.deepEqual(decode(f.int ?? -1), killedBy(SIGINT));
    assert.deepEqual(decode(f.hup ?? -1), killedBy(SIGHUP));
    assert.deepEqual(decode(f.usr1 ?? -1), killedBy(SIGUSR1));
  });

  it('SIG_IGN makes SIGTERM harmless, also when inherited across exec', () => {
    const f = fields('sig-ign');
    assert.deepEqual(decode(f.self ?? -1), exited(101));
    assert.deepEqual(decode(f.inherited ?? -1), exited(100));
  });

  it('SIG_IGN discards a pending signal; an ignored blocked one is dropped when unblocked', () => {
    // Pending while blocked with SIG_DFL; gone after SIG_IGN; ignored and blocked it is
    // queued all the same (Linux: "blocked signals are never ignored"); gone after unblocking.
    assert.deepEqual(line('ignore-pending'), [1, 0, 1, 0]);
    // and it did not kill the child (SIGUSR1's default would)
    assert.deepEqual(decode(line('ignore-pending-status')[0] ?? -1), exited(102));
  });

  it('sigprocmask cannot block SIGKILL or SIGSTOP', () => {
    // sigprocmask's result, then what the mask holds: SIGKILL, SIGSTOP, SIGUSR2
    assert.deepEqual(line('unblockable'), [0, 0, 0, 1]);
    // A child that blocked everything: SIGTERM stays pending, SIGSTOP stops, SIGKILL kills.
    const f = fields('block-all');
    assert.equal(f['term-nohang'], 0);
    assert.deepEqual(decode(f.stop ?? -1), { stopped: SIGSTOP });
    assert.deepEqual(decode(f.cont ?? -1), { continued: true });
    assert.deepEqual(decode(f.kill ?? -1), killedBy(SIGKILL));
  });

  it('sigpending reports a blocked pending signal until it is unblocked and handled', () => {
    // handler ran while blocked, pending SIGUSR2, pending SIGUSR1, ran after, pending after
    assert.deepEqual(line('sigpending'), [0, 1, 0, 1, 0]);
  });
});
