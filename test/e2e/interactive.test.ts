// The interactive system through a pseudo-terminal: boot to a prompt, type,
// edit, interrupt, suspend, edit a file in vi, resize, leave.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { defaultCpus } from '../../src/core/machine.js';
import { CLI, haveBuild, initramfsWithPrograms } from '../helpers/guest.js';
import { PtySession } from '../helpers/pty.js';

/** The default prompt: PS1='\u@\h:\w\$ ' from /etc/profile. */
const PROMPT = /root@wasmlinux:[^\n]*# $/;

let dir = '';
let initrd = '';
let session: PtySession | null = null;

/** Boot the system with the busy program added, and wait for the first prompt. */
async function boot(opts?: { cols?: number; rows?: number }): Promise<PtySession> {
  const s = PtySession.wasmlinux(['--initrd', initrd], opts);
  session = s;
  await s.waitFor(PROMPT, 20_000);
  return s;
}

/**
 * Start `exec cmd` as a foreground job that first prints a line, and resolve
 * once that line is out: it comes from the job itself after the shell gave
 * it the terminal, so a key typed from now on (Ctrl-C, Ctrl-Z, text) reaches
 * the job, however long the machine took to get there. A fixed delay
 * instead is too short on a busy host: a key that comes while the shell
 * still edits the line is taken by the line editor. The marker is computed
 * ($((6*7))), so the echoed command line does not match it.
 */
async function startJob(s: PtySession, cmd: string): Promise<void> {
  s.line(jobLine(cmd));
  await s.waitFor(/^job-42\r?$/m);
}

/** The command line startJob types. */
const jobLine = (cmd: string): string => `sh -c 'echo job-$((6*7)); exec ${cmd}'`;

/** How `jobs` and job notices show that line (hush shows its words, quoted its own way). */
const jobText = (cmd: string): string =>
  `sh -c .*exec ${cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;

/** Run line until its output matches re (the shell learns some things a moment later). */
async function runUntil(
  s: PtySession,
  line: string,
  re: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await run(s, line);
    if (re.test(out) || Date.now() > deadline) return out;
  }
}

/**
 * After typing `fg` for a busy job: Ctrl-C once the line editor has taken
 * the line (its Enter is echoed), then wait for the prompt. The shell gives
 * the job the terminal just after that; a Ctrl-C in between goes to the
 * shell, which ignores it and waits for the job, so a second one follows
 * if the prompt does not come back. Only the job's death brings it back.
 */
async function interruptFg(s: PtySession): Promise<void> {
  await s.waitFor(/\n/);
  await keyUntilPrompt(s, '\x03');
}

/**
 * Type key (a signal character) until the prompt comes back, at most three
 * times. A job's marker comes from its `sh -c` before that execs the
 * command; a key arriving in between signals the sh, and hush ignores
 * SIGQUIT, so only a later one reaches the command.
 */
async function keyUntilPrompt(s: PtySession, key: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    s.write(key);
    try {
      await s.waitFor(PROMPT, 10_000);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Run a command line and return what it printed before the next prompt. */
async function run(s: PtySession, line: string): Promise<string> {
  s.line(line);
  const m = await s.waitFor(new RegExp(`([\\s\\S]*?)${PROMPT.source}`));
  const out = (m[1] ?? '').replace(/\r/g, '');
  // Drop the echoed command line itself.
  const nl = out.indexOf('\n');
  return nl < 0 ? '' : out.slice(nl + 1);
}

describe('interactive system (pty)', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-pty-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/busy': 'busy.c' });
  });
  afterEach(() => {
    session?.kill();
    session = null;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('boots to a prompt with a greeting; commands run; exit powers off with status 0', async () => {
    const s = await boot();
    const text = s.text();
    // Without --cpus the machine gets one CPU per host core, at most 8.
    const cpus = defaultCpus(availableParallelism());
    assert.match(
      text,
      new RegExp(
        `Welcome to wasmlinux: Linux 6\\.12\\.\\d+\\S* on wasm, ${cpus} CPUs?, \\d+ MiB of memory`,
      ),
    );
    assert.match(await run(s, 'uname -sr'), /^Linux 6\.12\.\d+/m);
    assert.equal((await run(s, 'hostname')).trim(), 'wasmlinux');
    assert.equal((await run(s, 'tty')).trim(), '/dev/ttyW0');
    s.line('exit');
    const e = await s.exit();
    assert.equal(e.exitCode, 0);
  });

  it('line editing: backspace, cursor keys and history', async () => {
    const s = await boot();
    // "echo abX", backspace, "c": the shell sees "echo abc".
    assert.equal((await run(s, 'echo abX\x7fc')).trim(), 'abc');
    // Left arrow twice, insert "Z": "echo aZbc".
    assert.equal((await run(s, 'echo abc\x1b[D\x1b[DZ')).trim(), 'aZbc');
    await run(s, 'echo first-$((40+2))');
    // Up arrow recalls the last line.
    s.write('\x1b[A');
    assert.equal((await run(s, '')).trim(), 'first-42');
    // Tab completion of a command name and of a file name.
    await run(s, 'echo hello > /tmp/completion-target');
    s.write('ca\t/tmp/completion-ta\t');
    assert.equal((await run(s, '')).trim(), 'hello');
    s.line('poweroff');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('Ctrl-C stops sleep 100 and a busy C loop; the shell goes on', async () => {
    const s = await boot();
    await startJob(s, 'sleep 100');
    s.write('\x03');
    await s.waitFor(PROMPT);
    assert.equal((await run(s, 'echo $?')).trim(), '130');
    s.line('busy');
    await s.waitFor(/busy: looping/);
    // Not a wait for anything: busy already runs; this only makes it likely
    // that the Ctrl-C finds it in its loop rather than in printf.
    await new Promise((r) => setTimeout(r, 200));
    s.write('\x03');
    await s.waitFor(PROMPT);
    assert.equal((await run(s, 'echo $?')).trim(), '130');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('Ctrl-\\ quits a job (SIGQUIT); Ctrl-D ends cat, then leaves the shell and powers off', async () => {
    const s = await boot();
    await startJob(s, 'sleep 100');
    await keyUntilPrompt(s, '\x1c');
    assert.equal((await run(s, 'echo $?')).trim(), '131');
    // Ctrl-D on an empty line is end-of-file for a program reading the tty.
    await startJob(s, 'cat > /tmp/typed');
    s.write('typed line\r\x04');
    await s.waitFor(PROMPT);
    assert.equal((await run(s, 'cat /tmp/typed')).trim(), 'typed line');
    // And for the login shell: it leaves, and the machine powers off.
    s.write('\x04');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('Ctrl-Z suspends a job, jobs lists it, fg resumes it, bg runs it in the background', async () => {
    const s = await boot();
    // The sleeps are long enough for the keys and commands below to reach
    // them before they end, on a busy host too (they wait for the job to
    // say it runs, not for a fixed time).
    await startJob(s, 'sleep 4');
    s.write('\x1a');
    const first = jobText('sleep 4');
    await s.waitFor(new RegExp(`\\[1\\] \\d+ ${first}`));
    await s.waitFor(PROMPT);
    assert.match(await run(s, 'jobs'), new RegExp(`\\[1\\]\\s+Stopped\\s+${first}`));
    // fg: back in the foreground until it is done, with its status.
    assert.match(await run(s, 'fg; echo status=$?'), /^status=0$/m);
    // bg: stopped again, then finished in the background; wait reaps it.
    await startJob(s, 'sleep 6');
    s.write('\x1a');
    await s.waitFor(new RegExp(`\\[1\\] \\d+ ${jobText('sleep 6')}`));
    await s.waitFor(PROMPT);
    await run(s, 'bg');
    assert.match(await run(s, 'jobs'), /Running/);
    assert.match(await run(s, 'wait; echo waited'), /waited/);
    // A busy loop stops too, and comes back to die by Ctrl-C.
    s.line('busy');
    await s.waitFor(/busy: looping/);
    s.write('\x1a');
    await s.waitFor(/\[1\] \d+ busy/);
    await s.waitFor(PROMPT);
    assert.match(await run(s, 'ps -o stat,args | grep "[b]usy"'), /^T/m);
    s.line('fg');
    await interruptFg(s);
    assert.equal((await run(s, 'jobs')).trim(), '');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  for (const shell of ['dash', 'ash']) {
    it(`${shell} at the terminal: Ctrl-Z stops a job, jobs lists it, fg and bg resume it`, async () => {
      const s = await boot();
      // At the start of a line: the echo of the command below has it too.
      const SHELL = new RegExp(`(^|\\n)${shell}\\$ $`);
      // dash prints "[1] + Stopped", ash "[1]+  Stopped".
      const STOPPED = /\[1\] ?\+ +Stopped/;
      s.line(`PS1='${shell}$ ' ${shell} -i`);
      await s.waitFor(SHELL);
      /** Ctrl-Z until the job stops (one that comes before the job has the terminal is lost). */
      const stop = async (): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          s.write('\x1a');
          try {
            await s.waitFor(STOPPED, 10_000);
            return;
          } catch (e) {
            if (attempt === 3) throw e;
          }
        }
      };
      await startJob(s, 'sleep 4');
      await stop();
      await s.waitFor(SHELL);
      s.line('jobs');
      await s.waitFor(new RegExp(`${STOPPED.source}\\s+sh -c`));
      await s.waitFor(SHELL);
      s.line('fg; echo status=$?');
      await s.waitFor(/^status=0\r?$/m);
      await s.waitFor(SHELL);
      // Long enough to be still running after bg on a slow host (a stopped
      // sleep's time goes on); killed once jobs has shown it running.
      await startJob(s, 'sleep 60');
      await stop();
      await s.waitFor(SHELL);
      s.line('bg; jobs');
      await s.waitFor(/\[1\] ?\+ +Running/);
      await s.waitFor(SHELL);
      // Anywhere on a line: a line typed before the prompt is echoed first,
      // and the output then follows the prompt.
      s.line('kill %1; wait; echo waited-$((6*7))');
      await s.waitFor(/waited-42\r?$/m);
      await s.waitFor(SHELL);
      s.line('exit');
      await s.waitFor(PROMPT);
      s.line('exit');
      assert.equal((await s.exit()).exitCode, 0);
    });
  }

  it('UTF-8 goes through; backspace erases a whole character', async () => {
    const s = await boot();
    assert.equal((await run(s, 'echo héllo wörld ✓')).trim(), 'héllo wörld ✓');
    assert.equal((await run(s, 'echo aé\x7fb')).trim(), 'ab');
    assert.equal((await run(s, 'printf "✓" | wc -c')).trim(), '3');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('background jobs that read (SIGTTIN) or, with tostop, write (SIGTTOU) the terminal are stopped', async () => {
    const s = await boot();
    // hush gives background jobs /dev/null as stdin, so ask for the tty.
    // The job stops when it gets to its read, and the shell sees that a
    // moment later: ask until it says so (or the time is up).
    await run(s, 'cat </dev/tty &');
    const stopped = /\[1\]\s+Stopped\s+cat/;
    assert.match(await runUntil(s, 'jobs', stopped), stopped);
    await run(s, 'kill -KILL %1');
    // Killed, and reaped by the shell (which first says so, once).
    assert.equal((await runUntil(s, 'jobs', /^\s*$/)).trim(), '');
    // With tostop, one that writes to it is stopped too (SIGTTOU); fg lets it write.
    await run(s, 'stty tostop; echo from-the-background &');
    const stoppedEcho = /\[1\]\s+Stopped\s+echo from-the-background/;
    assert.match(await runUntil(s, 'jobs', stoppedEcho), stoppedEcho);
    assert.match(await run(s, 'fg'), /from-the-background/);
    await run(s, 'stty -tostop');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('vi opens, edits and saves a file', async () => {
    const s = await boot();
    await run(s, 'printf "one\\ntwo\\n" > /tmp/v.txt');
    s.line('vi /tmp/v.txt');
    await s.waitFor(/two/);
    // Go to the end, open a line below, type, leave insert mode, delete
    // the first line, save and quit.
    await s.type(['G', 'o', 'three, typed in vi', '\x1b', 'g', 'g', 'd', 'd', ':wq\r']);
    await s.waitFor(PROMPT);
    const out = await run(s, 'cat /tmp/v.txt; wc -l < /tmp/v.txt');
    assert.equal(out.trim(), 'two\nthree, typed in vi\n2');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('full-screen programs: less pages a file, top shows the processes, both quit on q', async () => {
    const s = await boot({ cols: 80, rows: 24 });
    await run(s, 'seq 1 200 > /tmp/numbers');
    s.line('less /tmp/numbers');
    // One screen: the first 23 lines and the prompt line.
    await s.waitFor(/\b23\b/);
    assert.doesNotMatch(s.recent(), /\b30\b/);
    await s.type([' ']); // next page
    await s.waitFor(/\b40\b/);
    await s.type(['q']);
    await s.waitFor(PROMPT);
    // Room for every process: each CPU adds its own kernel threads.
    s.resize(80, 120);
    assert.match(await runUntil(s, 'stty size', /^120 80$/m), /^120 80$/m);
    s.line('top');
    await s.waitFor(/Mem:[\s\S]*PID[\s\S]*top/);
    // '1' shows one line per CPU (the machine has one per host core, at most 8).
    const cpus = defaultCpus(availableParallelism());
    if (cpus > 1) {
      await s.type(['1']);
      await s.waitFor(new RegExp(`CPU0:[\\s\\S]*CPU${cpus - 1}:`));
    }
    await s.type(['q']);
    await s.waitFor(PROMPT);
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('resizing the terminal changes stty size and signals the foreground job', async () => {
    const s = await boot({ cols: 100, rows: 30 });
    assert.equal((await run(s, 'stty size')).trim(), '30 100');
    s.resize(132, 43);
    // The new size reaches the guest a moment later (the host hears of it
    // by a signal): ask until it is there.
    // (A line of its own: the shell may also redraw its prompt.)
    assert.match(await runUntil(s, 'stty size', /^43 132$/m), /^43 132$/m);
    // A foreground program gets SIGWINCH: this script waits for one (its
    // trap ends the loop), having said that it holds the terminal. (Not the
    // login shell's trap: the shell is not the foreground job then.) The
    // markers are computed, so the echoed command line does not match them.
    s.line(
      `sh -c 'trap "w=1" WINCH; echo job-$((6*7)); while [ -z "$w" ]; do sleep 1; done; echo winch-$((6*7))'`,
    );
    await s.waitFor(/^job-42\r?$/m);
    s.resize(90, 20);
    await s.waitFor(/^winch-42\r?$/m, 30_000);
    await s.waitFor(PROMPT);
    // The signal came from the size change in the guest: stty sees it now.
    assert.equal((await run(s, 'stty size')).trim(), '20 90');
    s.line('exit');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('reboot ends the run with status 0, a killed shell is started again', async () => {
    const s = await boot();
    s.line('kill -KILL $$');
    await s.waitFor(/starting a new one/);
    await s.waitFor(PROMPT);
    s.line('reboot');
    assert.equal((await s.exit()).exitCode, 0);
  });

  it('Ctrl-] stops the machine at once', async () => {
    const s = await boot();
    s.line('busy');
    await s.waitFor(/busy: looping/);
    s.write('\x1d');
    const e = await s.exit();
    assert.equal(e.exitCode, 130);
  });

  it('the host terminal is as it was after a kernel panic and after SIGTERM to wasmlinux', async () => {
    // A host shell in the pty notes `stty -g`, runs wasmlinux, notes it again.
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --initrd ${JSON.stringify(initrd)}`;
    const s = new PtySession('/bin/sh', [
      '-c',
      `stty -g; ${cli}; echo "status=$?"; stty -g; ${cli} </dev/tty & echo "pid=$!"; wait $!; echo "status=$?"; stty -g`,
    ]);
    session = s;
    await s.waitFor(PROMPT, 20_000);
    s.line('echo c > /proc/sysrq-trigger');
    await s.waitFor(/status=1\b/);
    const pid = Number((await s.waitFor(/pid=(\d+)/))[1]);
    await s.waitFor(PROMPT, 20_000);
    process.kill(pid, 'SIGTERM');
    await s.waitFor(/status=143\b/);
    await s.exit();
    const settings = s.text().match(/^[0-9a-f]+(?::[0-9a-f]+){10,}\r?$/gm) ?? [];
    assert.equal(settings.length, 3, s.text());
    const [before, afterPanic, afterSignal] = settings.map((x) => x.trim());
    assert.equal(afterPanic, before);
    assert.equal(afterSignal, before);
    assert.match(s.text(), /kernel panic: sysrq triggered crash/);
  });
});
