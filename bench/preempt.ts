// What the preemption checks in every loop cost (tools/wasm/preempt.ts).
//
// bench/guest/cpu.c runs four CPU-bound loops: natively (gcc -O2), in the
// guest as wasmlinux-cc builds it (with the checks), and in the guest
// without the checks. Prints per-kernel medians and the ratios
// checked / unchecked and checked / native.
//
//   node --import tsx bench/preempt.ts [--runs N]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileGuestProgram } from '../tools/build/guest-cc.js';
import { initramfsPlus } from '../test/helpers/guest.js';
import { median } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SOURCE = join(ROOT, 'bench/guest/cpu.c');

type Times = Map<string, number[]>;

function parse(out: string, into: Times): void {
  for (const m of out.matchAll(/^(\w+) ([\d.]+) (\d+)$/gm)) {
    const list = into.get(m[1]!) ?? [];
    list.push(Number(m[2]));
    into.set(m[1]!, list);
  }
}

function runGuest(initrd: string, prog: string, into: Times): void {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/wasmlinux.mjs'), '--initrd', initrd, '--', prog],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`guest ${prog} failed: ${r.stderr}`);
  parse(r.stdout, into);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-preempt-'));
  try {
    const checked = join(dir, 'cpu-checked');
    const unchecked = join(dir, 'cpu-unchecked');
    const native = join(dir, 'cpu-native');
    await compileGuestProgram(checked, [SOURCE], { cflags: ['-O2'] });
    await compileGuestProgram(unchecked, [SOURCE], { cflags: ['-O2'], preemptChecks: false });
    const cc = spawnSync('cc', ['-O2', '-o', native, SOURCE], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`native build failed: ${cc.stderr}`);
    const initrd = initramfsPlus(join(dir, 'initrd.cpio'), {
      '/bin/cpu-checked': [checked, 0o755],
      '/bin/cpu-unchecked': [unchecked, 0o755],
    });

    const times: Record<'native' | 'checked' | 'unchecked', Times> = {
      native: new Map(),
      checked: new Map(),
      unchecked: new Map(),
    };
    for (let i = 0; i < runs; i++) {
      parse(spawnSync(native, { encoding: 'utf8' }).stdout, times.native);
      runGuest(initrd, 'cpu-checked', times.checked);
      runGuest(initrd, 'cpu-unchecked', times.unchecked);
      process.stderr.write(`run ${i + 1}/${runs} done\n`);
    }
    console.log(`median ms over ${runs} runs`);
    console.log('kernel    native   guest(checks)  guest(no checks)  checks cost  guest/native');
    for (const [name, list] of times.checked) {
      const c = median(list);
      const u = median(times.unchecked.get(name) ?? [NaN]);
      const n = median(times.native.get(name) ?? [NaN]);
      console.log(
        `${name.padEnd(8)} ${n.toFixed(1).padStart(7)} ${c.toFixed(1).padStart(14)} ${u.toFixed(1).padStart(17)} ${`${((c / u - 1) * 100).toFixed(1)}%`.padStart(12)} ${`${(c / n).toFixed(2)}x`.padStart(13)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
