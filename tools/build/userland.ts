// Builds the user programs and the initramfs that carries them.
//
// /init is a freestanding C program compiled with stock clang-19 against the
// kernel's own UAPI headers and linked as a module that imports its memory
// and the "linux" "syscall" entry. /bin/busybox (busybox.ts) comes with a
// symlink /bin/<applet> -> busybox for each of its applets; /bin/ash is
// BusyBox's ash alone, built with fork (busybox.ts), and /bin/dash is
// Debian's dash (dash.ts).

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeCpio } from '../../src/core/cpio.js';
import { entriesFromSpec } from '../initramfs/from-spec.js';
import { cachedDir, hashInputs } from './cache.js';
import type { BusyboxArtifacts } from './busybox.js';
import type { DashArtifacts } from './dash.js';
import { compileGuestProgram } from './guest-cc.js';
import type { KernelArtifacts } from './kernel.js';
import type { MuslArtifacts } from './musl.js';
import { buildDir, repoRoot } from './paths.js';
import { run } from './progress.js';

export interface UserlandArtifacts {
  initramfs: string;
}

const TARGET = '--target=wasm32-unknown-unknown';

export interface ProgramOptions {
  /** More include directories, e.g. for userland/init/sys.h. */
  includes?: string[];
  /** More wasm-ld flags, e.g. --shared-memory for programs that clone. */
  ldflags?: string[];
}

/** Compile a freestanding program from C and wasm assembly sources (also used by tests). */
export async function buildProgram(
  out: string,
  sources: string[],
  headers: string,
  tmp: string,
  opts: ProgramOptions = {},
): Promise<void> {
  const objects: string[] = [];
  const includes = [headers, ...(opts.includes ?? [])].map((d) => `-I${d}`);
  // Atomics and bulk memory: a program may share its memory with clone()d tasks.
  const features = ['-matomics', '-mbulk-memory'];
  for (const src of sources) {
    const obj = join(tmp, `${objects.length}.o`);
    const flags = src.endsWith('.S')
      ? [TARGET, ...features, '-c']
      : [
          TARGET,
          ...features,
          '-O2',
          '-nostdlib',
          '-ffreestanding',
          ...includes,
          '-Wall',
          '-Werror',
          '-c',
        ];
    await run('clang-19', [...flags, src, '-o', obj], { label: 'userland-cc' });
    objects.push(obj);
  }
  await run(
    'wasm-ld-19',
    [
      ...objects,
      '-o',
      out,
      '--no-entry',
      '--export=_start',
      '--import-memory',
      '--initial-memory=1048576',
      '--max-memory=16777216',
      ...(opts.ldflags ?? []),
    ],
    { label: 'userland-ld' },
  );
}

export async function buildUserland(
  kernel: KernelArtifacts,
  musl: MuslArtifacts,
  busybox: BusyboxArtifacts,
  ash: BusyboxArtifacts,
  dash: DashArtifacts,
): Promise<UserlandArtifacts> {
  const root = repoRoot();
  const key = hashInputs([
    // The sysroot's directory name is its own content key; guest-cc.ts and
    // tools/wasm make /sbin/init as they make BusyBox.
    basename(musl.sysroot),
    { file: join(root, 'tools/build/guest-cc.ts') },
    { dir: join(root, 'tools/wasm') },
    // The module reader they use.
    { dir: join(root, 'src/core/wasm') },
    { dir: join(root, 'userland') },
    { file: busybox.busybox },
    busybox.applets.join(' '),
    { file: ash.busybox },
    { file: dash.dash },
    { dir: kernel.headers },
    { dir: join(root, 'tools/initramfs') },
    { file: join(root, 'src/core/cpio.ts') },
    { file: join(root, 'tools/build/userland.ts') },
  ]);
  const dir = await cachedDir('userland', key, async (tmp) => {
    const init = join(tmp, 'init');
    const src = join(root, 'userland/init');
    // init runs commands in clone()d children: its memory must be shared.
    await buildProgram(
      init,
      [join(src, 'crt.S'), join(src, 'clone-entry.S'), join(src, 'init.c'), join(src, 'net.c')],
      kernel.headers,
      tmp,
      { ldflags: ['--shared-memory', '--export=__wasm_clone_entry'] },
    );
    // /sbin/init, the interactive system, is a musl program.
    const sbinInit = join(tmp, 'sbin-init');
    await compileGuestProgram(sbinInit, [join(root, 'userland/sbin-init/init.c')], {
      sysroot: musl.sysroot,
      cflags: ['-O2', '-Wall', '-Werror'],
      ldflags: ['--strip-all'],
    });
    // The agent behind the web page's embedding API (and `download`).
    const agent = join(tmp, 'agent');
    await compileGuestProgram(agent, [join(root, 'userland/agent/agent.c')], {
      sysroot: musl.sysroot,
      cflags: ['-O2', '-Wall', '-Werror'],
      ldflags: ['--strip-all'],
    });
    const entries = entriesFromSpec([
      { path: '/dev', type: 'dir', mode: 0o755 },
      { path: '/dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
      { path: '/root', type: 'dir', mode: 0o700 },
      ...['passwd', 'group', 'hostname', 'profile'].map((name) => ({
        path: `/etc/${name}`,
        type: 'file' as const,
        mode: 0o644,
        source: join(root, 'userland/etc', name),
      })),
      {
        path: '/usr/share/udhcpc/default.script',
        type: 'file',
        mode: 0o755,
        source: join(root, 'userland/udhcpc/default.script'),
      },
      { path: '/init', type: 'file', mode: 0o755, source: init },
      { path: '/sbin/init', type: 'file', mode: 0o755, source: sbinInit },
      { path: '/sbin/wasmlinux-agent', type: 'file', mode: 0o755, source: agent },
      { path: '/bin/download', type: 'symlink', mode: 0o777, target: '../sbin/wasmlinux-agent' },
      { path: '/bin/busybox', type: 'file', mode: 0o755, source: busybox.busybox },
      // BusyBox's ash alone (busybox.ts, variant ash): it runs as argv[0] says.
      { path: '/bin/ash', type: 'file', mode: 0o755, source: ash.busybox },
      { path: '/bin/dash', type: 'file', mode: 0o755, source: dash.dash },
      ...busybox.applets.map((name) => ({
        path: `/bin/${name}`,
        type: 'symlink' as const,
        mode: 0o777,
        target: 'busybox',
      })),
    ]);
    writeFileSync(join(tmp, 'initramfs.cpio'), writeCpio(entries));
  });
  const dest = buildDir();
  mkdirSync(dest, { recursive: true });
  copyFileSync(join(dir, 'initramfs.cpio'), join(dest, 'initramfs.cpio'));
  return { initramfs: join(dest, 'initramfs.cpio') };
}
