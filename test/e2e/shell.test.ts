// Shell scripts in the guest: `wasmlinux -- sh -c 'script'` with BusyBox
// hush running pipelines, redirections, here-documents, command
// substitution, functions and external programs (vfork + exec). Expected
// results come from the host (node:crypto, node:zlib) or from arithmetic
// done here, never from the guest itself.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { compileGuestProgram } from '../../tools/build/guest-cc.js';
import { haveBuild, initramfsPlus, runCli, type RunResult } from '../helpers/guest.js';

let dir = '';
let initrd = '';

/** Run a script with the guest's sh; the status must be 0 unless said otherwise. */
async function sh(script: string, status = 0, input?: string | Uint8Array): Promise<RunResult> {
  const r = await runCli(['--initrd', initrd, '--', 'sh', '-c', script], {
    timeoutMs: 60_000,
    input,
  });
  assert.equal(r.timedOut, false, `timed out:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, status, `exit status ${String(r.status)}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Bytes from `od -An -tx1 -v` output. */
function fromOd(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

describe('shell scripts in the guest', { timeout: 300_000 }, () => {
  before(async () => {
    assert.ok(haveBuild(), 'build artifacts missing: run npm run build');
    dir = mkdtempSync(join(tmpdir(), 'wasmlinux-shell-'));
    const wild = join(dir, 'wild.c');
    writeFileSync(wild, 'int main(void) { *(volatile int *)0xfffffff0 = 1; return 0; }\n');
    const trap = join(dir, 'trap.c');
    writeFileSync(trap, 'int main(void) { __builtin_trap(); }\n');
    await compileGuestProgram(join(dir, 'wild'), [wild]);
    await compileGuestProgram(join(dir, 'trap'), [trap]);
    initrd = initramfsPlus(join(dir, 'initrd.cpio'), {
      '/bin/wild': [join(dir, 'wild'), 0o755],
      '/bin/trap': [join(dir, 'trap'), 0o755],
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('seq 1 100000 | sort -rn | head -3', async () => {
    const r = await sh('seq 1 100000 | sort -rn | head -3');
    assert.equal(r.stdout, '100000\n99999\n99998\n');
  });

  it('redirections: >, >>, <, 2>&1, 2>/dev/null, and here-documents', async () => {
    const r = await sh(`
      cd /tmp
      echo one > f; echo two >> f; wc -l < f
      ls /nonexistent 2>/dev/null || echo "ls failed quietly"
      ls /nonexistent > err 2>&1; grep -c nonexistent err
      name=world
      cat <<EOF
hello $name $((6 * 7))
EOF
      cat <<'EOF'
literal $name
EOF
      tr a-z A-Z <<-EOF
	tabs stripped
	EOF
    `);
    assert.equal(
      r.stdout,
      '2\nls failed quietly\n1\nhello world 42\nliteral $name\nTABS STRIPPED\n',
    );
  });

  it('command substitution, nested, and backquotes', async () => {
    const r = await sh('a=$(echo $(echo inner) outer); b=`seq 3 | wc -l`; echo "$a/$b"');
    assert.equal(r.stdout, 'inner outer/3\n');
  });

  it('loops, case and recursive functions', async () => {
    const r = await sh(`
      fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
      fact 10
      n=0; while [ $n -lt 5 ]; do n=$((n + 1)); done; echo "while $n"
      until [ $n -eq 0 ]; do n=$((n - 1)); done; echo "until $n"
      for w in apple banana cherry; do
        case $w in a*) echo "A:$w";; b*) echo "B:$w";; *) echo "other:$w";; esac
      done
    `);
    assert.equal(r.stdout, '3628800\nwhile 5\nuntil 0\nA:apple\nB:banana\nother:cherry\n');
  });

  it('cat /proc/version and /proc/self/status', async () => {
    const r = await sh('cat /proc/version; echo "shell $$"; cat /proc/self/status');
    assert.match(r.stdout, /^Linux version 6\.12\.\d+/);
    const shell = /^shell (\d+)$/m.exec(r.stdout)?.[1];
    assert.ok(shell, r.stdout);
    // cat is a child of the shell: its own Name and Pid, the shell as PPid.
    assert.match(r.stdout, /^Name:\s+cat$/m);
    assert.match(r.stdout, new RegExp(`^PPid:\\s+${shell}$`, 'm'));
    const pid = Number(/^Pid:\s+(\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(pid > Number(shell), r.stdout);
  });

  it("md5sum of bytes made in the guest equals the host's md5 of the same bytes", async () => {
    const r = await sh(
      'head -c 65536 /dev/urandom > /tmp/r; md5sum /tmp/r; od -An -tx1 -v /tmp/r; ' +
        'seq 1 20000 | md5sum',
    );
    const [sum, ...rest] = r.stdout.split('\n');
    const guestSum = /^([0-9a-f]{32}) {2}\/tmp\/r$/.exec(sum ?? '')?.[1];
    const bytes = fromOd(rest.slice(0, -2).join('\n'));
    assert.equal(bytes.length, 65536);
    assert.equal(guestSum, md5(bytes));
    const seqText = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(rest.at(-2), `${md5(seqText)}  -`);
  });

  it('gzip | gunzip round trip, and the host can gunzip what the guest gzipped', async () => {
    const r = await sh(
      'head -c 200000 /dev/urandom > /tmp/r; gzip -c /tmp/r | gunzip -c | cmp - /tmp/r && echo same; ' +
        'seq 1 5000 > /tmp/s; gzip -9 -c /tmp/s | od -An -tx1 -v',
    );
    const [first, ...rest] = r.stdout.split('\n');
    assert.equal(first, 'same');
    const text = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(gunzipSync(fromOd(rest.join('\n'))).toString(), text);
  });

  it('tar round trips, plain and through gzip (tar -z runs gzip in a vfork child)', async () => {
    const r = await sh(`
      mkdir -p /tmp/src/sub/deeper && cd /tmp/src
      seq 1 3000 > sub/numbers; echo hello > top; ln -s top link; chmod 750 sub/deeper
      cd /tmp
      tar -cf plain.tar src && mkdir a && tar -xf plain.tar -C a && diff -r src a/src && echo plain-same
      tar -czf packed.tgz src && mkdir b && tar -xzf packed.tgz -C b && diff -r src b/src && echo gz-same
      tar -tzf packed.tgz | sort
      readlink b/src/link; stat -c %a b/src/sub/deeper
    `);
    assert.equal(
      r.stdout,
      'plain-same\ngz-same\n' +
        'src/\nsrc/link\nsrc/sub/\nsrc/sub/deeper/\nsrc/sub/numbers\nsrc/top\n' +
        'top\n750\n',
    );
  });

  it('find | xargs', async () => {
    const r = await sh(`
      mkdir -p /tmp/t/x /tmp/t/y; echo 1 > /tmp/t/a.txt; seq 2 > /tmp/t/x/b.txt; seq 3 > /tmp/t/y/c.log
      find /tmp/t -name '*.txt' | sort | xargs wc -l
      find /tmp/t -type f | xargs cat | wc -l
    `);
    assert.equal(
      r.stdout.replace(/[ \t]+/g, ' '),
      ' 1 /tmp/t/a.txt\n 2 /tmp/t/x/b.txt\n 3 total\n6\n',
    );
  });

  it('missing names stay in the dcache (ramfs keeps negative dentries); create, unlink and rmdir are still right', async () => {
    // nr_negative is the fifth field of dentry-state.
    const r = await sh(`
      neg() { set -- $(cat /proc/sys/fs/dentry-state); echo $5; }
      mkdir /tmp/n; before=$(neg)
      i=0; while [ $i -lt 200 ]; do [ -e /tmp/n/missing$i ] && echo "exists $i"; i=$((i+1)); done
      after=$(neg)
      [ $((after - before)) -ge 200 ] && echo kept || echo "kept only $((after - before))"
      echo data > /tmp/n/missing7; cat /tmp/n/missing7
      rm /tmp/n/missing7; [ -e /tmp/n/missing7 ] || echo unlinked
      mkdir /tmp/n/missing8; [ -d /tmp/n/missing8 ] && echo dir
      ls /tmp/n | wc -l
      rmdir /tmp/n/missing8 /tmp/n && [ ! -e /tmp/n ] && echo removed
    `);
    assert.equal(r.stdout, 'kept\ndata\nunlinked\ndir\n1\nremoved\n');
  });

  it('exit statuses: of scripts, of commands, and 128+N for signals', async () => {
    assert.equal((await sh('exit 3', 3)).stdout, '');
    const r = await sh(
      'false; echo "false $?"; sh -c "exit 7"; echo "sub $?"; ' +
        '(exit 9); echo "subshell $?"; grep -q x /dev/null; echo "grep $?"; ' +
        'kill -TERM $$',
      128 + 15,
    );
    assert.equal(r.stdout, 'false 1\nsub 7\nsubshell 9\ngrep 1\n');
    await sh('sh -c "kill -KILL \\$\\$"', 128 + 9);
  });

  it('a program that writes through a wild pointer or traps dies; the shell carries on', async () => {
    // (By full path: `trap` alone is the shell's builtin.)
    const r = await sh('wild; echo "wild $?"; /bin/trap; echo "trap $?"; echo alive');
    assert.equal(r.stdout, 'wild 139\ntrap 132\nalive\n');
  });

  it('the kernel log says which trap killed a program, unless debug.exception-trace is 0', async () => {
    const r = await sh(
      'wild; /bin/trap; echo 0 > /proc/sys/debug/exception-trace; wild; dmesg | grep -F "trap in user code"',
    );
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(
      lines[0] ?? '',
      /wild\[\d+\]: trap in user code \(memory access out of bounds.*\), killed by signal 11$/,
    );
    assert.match(
      lines[1] ?? '',
      /trap\[\d+\]: trap in user code \(unreachable.*\), killed by signal 4$/,
    );
  });

  it('a text file without #!, an empty file, truncated and corrupt wasm: exec format error', async () => {
    const r = await sh(`
      cd /tmp
      echo "echo hi" > text; : > empty; head -c 1000 /bin/busybox > truncated
      printf '\\0asm\\1\\0\\0\\0\\1\\377\\377\\377' > corrupt
      chmod +x text empty truncated corrupt
      for f in text empty truncated corrupt; do ./$f; echo "$f $?"; done
      echo still here
    `);
    // hush exits 2 for exec errors other than ENOENT and EACCES (as natively).
    assert.equal(r.stdout, 'text 2\nempty 2\ntruncated 2\ncorrupt 2\nstill here\n');
    assert.equal(
      r.stderr,
      ['text', 'empty', 'truncated', 'corrupt']
        .map((f) => `sh: can't execute './${f}': Exec format error\n`)
        .join(''),
    );
  });

  it('stdout and stderr stay apart', async () => {
    const r = await sh('echo out; echo err >&2; ls /nonexistent; echo more');
    assert.equal(r.stdout, 'out\nmore\n');
    assert.match(r.stderr, /^err\nls: \/nonexistent: No such file or directory\n$/);
  });

  it('binary standard input arrives byte for byte, with end-of-file', async () => {
    // Every byte value, including the ones a terminal would act on (^C, ^D, ^Z, DEL).
    const data = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i & 0xff));
    const r = await runCli(['--initrd', initrd, '--', 'sh', '-c', 'md5sum; echo done'], {
      input: data,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${md5(data)}  -\ndone\n`);
  });

  it('standard input reaches a pipeline in the guest', async () => {
    const input = 'banana\napple\ncherry\napple\n';
    const r = await sh('sort | uniq -c | sort -rn | head -1', 0, input);
    assert.equal(r.stdout.trim().replace(/\s+/g, ' '), '2 apple');
  });
});
