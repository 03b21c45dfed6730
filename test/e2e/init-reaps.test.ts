// In command mode /init is the machine's init: processes whose parents
// died become its children, and it must reap them while the command runs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { haveBuild, mustMatch, runCli } from '../helpers/guest.js';

describe('/init reaps orphans', { skip: !haveBuild() && 'run `npm run build` first' }, () => {
  it('leaves no zombies of orphaned processes that died', { timeout: 120_000 }, async () => {
    // Each (sleep 10 &) subshell exits at once, so its sleep is orphaned to
    // init. Zombies would stay forever; reaped ones go in well under the
    // ten seconds the loop waits (it stops as soon as none is left).
    const script = [
      'for i in $(seq 20); do (sleep 10 &); done',
      'n=0; while [ $(ps -o ppid,comm | grep -c "^ *1 sleep") -lt 20 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done',
      'echo orphans $(ps -o ppid,comm | grep -c "^ *1 sleep")',
      'killall -9 sleep',
      'n=0; while ps -o stat | grep -q "^ *Z" && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done',
      'echo zombies $(ps -o stat | grep -c "^ *Z")',
      'ps -o pid,ppid,stat,comm',
    ].join('\n');
    const r = await runCli(['--', 'sh', '-c', script], { timeoutMs: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(mustMatch(r, /^orphans (\d+)$/m)[1], '20', r.stdout);
    assert.equal(mustMatch(r, /^zombies (\d+)$/m)[1], '0', r.stdout);
  });
});
