// 9P (`--mount`) throughput: a 256 MiB file written and then read back
// sequentially with dd in the guest (read in a fresh boot, so from the host,
// not the guest's page cache), against the same dd on the host, with the
// server in the same process and over WebSocket on loopback (serve-9p); and
// the metadata rate: create + stat + unlink of 10000 small files by
// bench/guest/meta.c, in the guest over 9P (both ways; locally also with
// `:cache`, the guest keeping names and attributes) and natively on the same
// host directory (no process spawns in either).
//
//   node --import tsx bench/ninep.ts [--runs N] [--mib N]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveNineP } from '../src/node/ninep/ws.js';
import { buildMeta, median, TIMED } from './common.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** Time a guest script with dir (or a ws:// URL) mounted at /mnt/b. */
async function guest(dir: string, script: string): Promise<number> {
  const { spawn } = await import('node:child_process');
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin/wasmlinux.mjs'), '--mount', `${dir}:/mnt/b`, '--', 'sh', '-c', script],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    },
  );
  const ms = Number(/ms=(\d+)/.exec(r.stdout)?.[1]);
  if (r.status !== 0 || Number.isNaN(ms))
    throw new Error(`guest run failed: ${r.stderr}${r.stdout}`);
  return ms;
}

function host(script: string): number {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const ms = Number(/ms=(\d+)/.exec(r.stdout)?.[1]);
  if (Number.isNaN(ms)) throw new Error(`host run failed: ${r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, mib: { type: 'string', default: '256' } },
  });
  const runs = Number(values.runs);
  const mib = Number(values.mib);
  const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-bench-9p-'));
  const gw: number[] = [];
  const gr: number[] = [];
  const hw: number[] = [];
  const hr: number[] = [];
  const gm: number[] = [];
  const gmc: number[] = [];
  const ww: number[] = [];
  const wr: number[] = [];
  const hm: number[] = [];
  const wm: number[] = [];
  // meta.c prints "meta N MS"; the guest's figure is its own clock's.
  const META = 10000;
  const metaMs = (out: string): number => {
    const ms = Number(/meta \d+ ([\d.]+)/.exec(out)?.[1]);
    if (Number.isNaN(ms)) throw new Error(`meta failed: ${out}`);
    return ms;
  };
  const { native: metaNative, initrd } = await buildMeta(dir);
  // Asynchronous: the WebSocket server runs in this process's event loop.
  const guestMeta = async (mount: string, flags = ''): Promise<number> => {
    const { execFile } = await import('node:child_process');
    const args = [
      join(ROOT, 'bin/wasmlinux.mjs'),
      '--initrd',
      initrd,
      '--mount',
      `${mount}:/mnt/b${flags}`,
      '--',
      'sh',
      '-c',
      `mkdir -p /mnt/b/m && meta /mnt/b/m ${META}`,
    ];
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { encoding: 'utf8' }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    return metaMs(out);
  };
  try {
    for (let i = 0; i < runs; i++) {
      gw.push(
        await guest(dir, TIMED(`dd if=/dev/zero of=/mnt/b/f bs=1M count=${mib} 2>/dev/null; sync`)),
      );
      gr.push(await guest(dir, TIMED('dd if=/mnt/b/f of=/dev/null bs=1M 2>/dev/null')));
      hw.push(host(TIMED(`dd if=/dev/zero of=${dir}/f bs=1M count=${mib} 2>/dev/null; sync`)));
      // The host reads from its page cache, which is what the guest's reads
      // end up reading too.
      hr.push(host(TIMED(`dd if=${dir}/f of=/dev/null bs=1M 2>/dev/null`)));
      gm.push(await guestMeta(dir));
      gmc.push(await guestMeta(dir, ':cache'));
      spawnSync('mkdir', ['-p', join(dir, 'm')]);
      hm.push(
        metaMs(spawnSync(metaNative, [join(dir, 'm'), String(META)], { encoding: 'utf8' }).stdout),
      );
      process.stderr.write(`run ${i + 1}/${runs} done\n`);
    }
    // The same over WebSocket on loopback (the server runs in this process,
    // as `wasmlinux serve-9p` would).
    const ws = await serveNineP({
      source: { kind: 'dir', dir, readOnly: false },
      port: 0,
      host: '127.0.0.1',
      token: null,
    });
    try {
      for (let i = 0; i < runs; i++) {
        ww.push(
          await guest(
            ws.url,
            TIMED(`dd if=/dev/zero of=/mnt/b/f bs=1M count=${mib} 2>/dev/null; sync`),
          ),
        );
        wr.push(await guest(ws.url, TIMED('dd if=/mnt/b/f of=/dev/null bs=1M 2>/dev/null')));
        wm.push(await guestMeta(ws.url));
      }
    } finally {
      ws.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (ms: number): string => `${((mib * 1000) / ms).toFixed(0)} MiB/s`;
  console.log(
    `sequential write ${mib} MiB: guest over 9P ${rate(median(gw))}, host dd ${rate(median(hw))}`,
  );
  console.log(
    `sequential read ${mib} MiB: guest over 9P ${rate(median(gr))}, host dd ${rate(median(hr))}`,
  );
  console.log(`over WebSocket on loopback: write ${rate(median(ww))}, read ${rate(median(wr))}`);
  const files = (ms: number[]): string => `${((META * 1000) / median(ms)).toFixed(0)} files/s`;
  const ratio = (ms: number[]): string => `${(median(ms) / median(hm)).toFixed(1)}x native`;
  console.log(
    `create+stat+unlink x ${META} (meta.c): guest over 9P ${files(gm)} (${ratio(gm)}), ` +
      `with :cache ${files(gmc)} (${ratio(gmc)}), over WebSocket ${files(wm)}, native ${files(hm)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
