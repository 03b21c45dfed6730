// The shells that fork: Debian's dash, built unpatched (tools/build/dash.ts),
// and BusyBox's ash in its MMU configuration (busybox.ts, variant ash). They
// fork for subshells, pipelines and $(…), and recover from errors with
// setjmp and longjmp. Each case is a `SHELL -c` script in the guest; the
// values printed are computed by the shell there. Job control at a
// terminal: interactive.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { haveBuild, runCli, type RunResult } from '../helpers/guest.js';

for (const shell of ['dash', 'ash'] as const) {
  const dash = (script: string): Promise<RunResult> =>
    runCli(['--', shell, '-c', script], { timeoutMs: 90_000 });

  describe(shell, { timeout: 300_000 }, () => {
    it('subshells keep their changes to themselves and pass their status out', async () => {
      assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
      const r = await dash(
        'x=1; (x=2; echo "in $x"; exit 3); echo "status $? x $x"; ( (exit 4) ); echo "nested $?"',
      );
      assert.equal(r.stdout, 'in 2\nstatus 3 x 1\nnested 4\n');
      assert.equal(r.status, 0);
    });

    it('pipelines pass data through forked stages; the status is the last stage', async () => {
      const r = await dash(
        'seq 1 2000 | grep 7 | wc -l; false | true; echo "last $?"; true | false; echo "last $?"; ' +
          'echo one two three | { read a b c; echo "$c $b $a"; }',
      );
      assert.equal(r.stdout, '542\nlast 0\nlast 1\nthree two one\n');
    });

    it('$(…) and backquotes, nested, with functions defined before', async () => {
      const r = await dash(
        'up() { echo "$1" | tr a-z A-Z; }; echo "$(up hi) $(echo $(echo deep)) `echo old`"; ' +
          'n=$(seq 1 100 | wc -l); echo "n=$((n * 2))"',
      );
      assert.equal(r.stdout, 'HI deep old\nn=200\n');
    });

    it('traps: a signal handler trap, EXIT, and ERR-free set -e recovery', async () => {
      const r = await dash(
        'trap "echo bye" EXIT; trap "echo got-usr1" USR1; kill -USR1 $$; echo after; ' +
          '(set -e; false; echo not-reached); echo "sub $?"',
      );
      assert.equal(r.stdout, 'got-usr1\nafter\nsub 1\nbye\n');
    });

    it('background jobs: $!, wait for one and for all, their statuses', async () => {
      const r = await dash(
        '(sleep 0.2; exit 7) & p=$!; sleep 0.1 & wait $p; echo "one $?"; wait; echo "all $?"; ' +
          '[ "$p" -gt 1 ] && echo "pid ok"',
      );
      assert.equal(r.stdout, 'one 7\nall 0\npid ok\n');
    });

    it('errors recover through longjmp: a bad expansion fails the command, the script goes on', async () => {
      // In subshells: a non-interactive shell exits on these errors (POSIX).
      const r = await dash('(echo ${x?is unset}); echo "after $?"; (eval "fi"); echo "eval $?"');
      assert.equal(r.stdout, 'after 2\neval 2\n');
      assert.match(r.stderr, /x: is unset/);
      assert.match(r.stderr, /[Ss]yntax error/);
    });

    it('here-documents, case, getopts, arithmetic and parameter expansion', async () => {
      const r = await dash(
        'cat <<EOF\nhome=${HOME:-none} $((3 * 7))\nEOF\n' +
          'f=archive.tar.gz; echo "${f%.gz} ${f#*.} ${#f}"; ' +
          'case $f in *.tar.*) echo tarball;; *) echo other;; esac; ' +
          'set -- -a -b val rest; while getopts ab: o; do echo "opt $o ${OPTARG:-}"; done; ' +
          'shift $((OPTIND - 1)); echo "left $*"',
      );
      assert.equal(
        r.stdout,
        'home=/root 21\narchive.tar tar.gz 14\ntarball\nopt a \nopt b val\nleft rest\n',
      );
    });
  });
}
