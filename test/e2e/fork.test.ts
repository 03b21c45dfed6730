// Process copies (clone without CLONE_VM): the host gives the child a copy
// of the parent's wasm memory at the same addresses, and the child runs a
// fresh instance of the same program on it; fork() on top of that, its call
// stack saved and resumed with Asyncify (vfork.c). test/guest/fork.c runs
// each case as a subcommand from a shell in the guest and prints what it
// found.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  haveBuild,
  initramfsWithPrograms,
  mustMatch,
  runCli,
  type RunResult,
} from '../helpers/guest.js';

let dir = '';
let initrd = '';
let run: RunResult;

describe('clone without CLONE_VM: a copy of the process', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-fork-'));
    initrd = await initramfsWithPrograms(dir, { '/bin/fork': 'fork.c' });
    run = await runCli(
      [
        '--initrd',
        initrd,
        '--',
        'sh',
        '-c',
        'for t in copy nested "many 200" pipe fork "forkmany 200" inherit statuses atfork threads system shared deadstack; ' +
          'do fork $t || echo "$t failed: $?"; done; ' +
          // The bomb's processes are killed; init reaps them.
          'fork bomb 16 || echo "bomb failed: $?"; ' +
          'for i in 1 2 3 4 5 6 7 8 9 10; do n=$(ps -o user | grep -c "^1000"); [ $n = 0 ] && break; sleep 0.2; done; ' +
          'echo "bomb left $n"; echo done',
      ],
      { timeoutMs: 240_000 },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every case to the end', () => {
    assert.equal(run.status, 0, `${run.stderr}\n${run.stdout}`);
    assert.doesNotMatch(run.stdout, /failed/);
    assert.match(run.stdout, /^done$/m);
  });

  it('a 32 MiB heap, globals and the stack reach the child intact; later writes stay apart', () => {
    // child 0: the child found all three as they were; then it overwrote them.
    assert.equal(
      mustMatch(run, /^copy: .*$/m)[0],
      'copy: child 0 parent global 1 heap same stack same',
    );
  });

  it("a copy's child copies itself again", () => {
    // 5: the grandchild saw the child's write (30), which the parent never saw.
    assert.equal(mustMatch(run, /^nested: .*$/m)[0], 'nested: child 5 parent global 1');
  });

  it('200 copies made, exited and reaped in a row, each with its own status', () => {
    assert.equal(mustMatch(run, /^many: .*$/m)[0], 'many: 200 of 200');
  });

  it('fork() returns twice: the child resumes with the values of the call, changes stay apart', () => {
    assert.equal(
      mustMatch(run, /^fork child: .*$/m)[0],
      "fork child: saw the parent's values, pid its own",
    );
    assert.equal(
      mustMatch(run, /^fork: .*$/m)[0],
      'fork: child 0 parent global 1 stack 11 heap [parent heap]',
    );
  });

  it('200 fork() calls in a row, each child exiting with its own status', () => {
    assert.equal(mustMatch(run, /^forkmany: .*$/m)[0], 'forkmany: 200 of 200');
  });

  it('parent and child talk through pipes both ways', () => {
    mustMatch(run, /^pipe: child got \[ping\] pid \d+; child is the pid clone gave; status 0$/m);
  });
  it('the child inherits open files, signal handlers and mask, cwd, rlimits, group and session', () => {
    // child 0: every check in the child passed; its SIGUSR1 ran its own handler.
    assert.equal(
      mustMatch(run, /^inherit: .*$/m)[0],
      'inherit: child 0 pipe [through] parent usr1 0',
    );
  });

  it('waitpid reports exit, WNOHANG, stop, continue, death by signal and abort', () => {
    assert.equal(
      mustMatch(run, /^statuses: .*$/m)[0],
      'statuses: exit 3 nohang 0 stopped 19 continued 1 signal 15 abort 6',
    );
  });

  it('pthread_atfork: prepare handlers in reverse order, parent and child ones in order', () => {
    assert.equal(
      mustMatch(run, /^atfork: .*$/m)[0],
      'atfork: parent [ prepB prepA parentA parentB ] child [ prepB prepA childA childB ]',
    );
  });

  it('fork in a 4-thread process: the child has one thread and can start more; the parent goes on', () => {
    assert.equal(
      mustMatch(run, /^fork-threads: .*$/m)[0],
      'fork-threads: child 0 parent tasks 4 parent busy yes',
    );
  });

  it('system() and popen() for reading and writing', () => {
    assert.equal(
      mustMatch(run, /^system: .*$/m)[0],
      'system: status 7 read [from-child] wrote [to-child]',
    );
  });

  it('RLIMIT_NPROC stops a fork bomb with EAGAIN; the shell survives and nothing is left', () => {
    // The leader died of the SIGKILL sent to its group (128 + 9).
    assert.equal(mustMatch(run, /^bomb: .*$/m)[0], 'bomb: first failure EAGAIN leader 137');
    assert.match(run.stdout, /^bomb left 0$/m);
  });
  it("a child finds no other process's bytes in its unused stack", () => {
    // Four children fill their unused stack, then four look there; a
    // looker exits 1 if it finds any of the filler.
    assert.equal(mustMatch(run, /^deadstack: .*$/m)[0], 'deadstack: stale 0 0 0 0');
  });

  it('fork refuses with ENOMEM while a shared anonymous mapping exists, instead of unsharing it', () => {
    assert.equal(
      mustMatch(run, /^shared: .*$/m)[0],
      'shared: with ENOMEM half ENOMEM unmapped forked',
    );
  });
});
