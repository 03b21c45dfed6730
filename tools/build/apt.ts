// Make sure the host has the Debian packages the build needs.
//
// We check for commands rather than packages (dpkg-query) because a command
// is what the build actually uses, and it also accepts tools installed some
// other way. Missing ones are installed with apt-get when we are root; a
// non-root user gets the exact command to run.
import { spawnSync } from 'node:child_process';
import { BuildError, info, run } from './progress.js';

/** Command the build runs → Debian (bookworm) package that provides it. */
export const REQUIRED_COMMANDS: Readonly<Record<string, string>> = {
  'clang-19': 'clang-19',
  'wasm-ld-19': 'lld-19',
  'llvm-ar-19': 'llvm-19',
  'llvm-nm-19': 'llvm-19',
  'llvm-objcopy-19': 'llvm-19',
  flex: 'flex',
  bison: 'bison',
  bc: 'bc',
  cpio: 'cpio',
  patch: 'patch',
  'dpkg-deb': 'dpkg',
  dpkg: 'dpkg',
  xz: 'xz-utils',
  tar: 'tar',
  make: 'make',
  perl: 'perl',
  gcc: 'gcc', // host compiler for the kernel's build-time tools (fixdep, kconfig)
  // The guest's network (src/node/passt.ts): user-mode NAT, DHCP and DNS.
  passt: 'passt',
};

/**
 * What only the tests need: Debian's Chromium for the web page's tests
 * (playwright-core), diod, a 9P server of someone else's making, for the
 * 9P interop tests, and openssl for a test certificate.
 */
export const TEST_COMMANDS: Readonly<Record<string, string>> = {
  chromium: 'chromium',
  diod: 'diod',
  // Certificates for the HTTPS test's server.
  openssl: 'openssl',
};

// Wait for the dpkg lock instead of failing when another apt run (another
// engineer's, unattended-upgrades) holds it.
const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=300'];

export function hasCommand(cmd: string): boolean {
  // `command -v` is a shell builtin, so go through sh; cmd comes from our own
  // table. The sbin directories count too: diod lives in /usr/sbin, which a
  // user's PATH often lacks.
  const script = `PATH="$PATH:/usr/sbin:/sbin" command -v '${cmd}'`;
  return spawnSync('sh', ['-c', script], { stdio: 'ignore' }).status === 0;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Debian packages needed for the commands that are missing, sorted and deduplicated. */
export function missingPackages(forTests = false): string[] {
  const pkgs = new Set<string>();
  const wanted = forTests ? { ...REQUIRED_COMMANDS, ...TEST_COMMANDS } : REQUIRED_COMMANDS;
  for (const [cmd, pkg] of Object.entries(wanted)) {
    if (!hasCommand(cmd)) pkgs.add(pkg);
  }
  return [...pkgs].sort();
}

/** `apt-get update`, for callers that found the package lists empty or stale. */
export async function aptUpdate(): Promise<void> {
  await run('apt-get', [...APT_LOCK_WAIT, 'update'], { label: 'apt-get update' });
}

/** Returns a short detail string for the progress line. */
export async function ensureSystemPackages(forTests = false): Promise<string> {
  const pkgs = missingPackages(forTests);
  if (pkgs.length === 0) return 'all present';
  if (!isRoot()) {
    throw new BuildError(
      `missing system packages: ${pkgs.join(' ')}\n` +
        `  install them with:\n    sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  info(`installing: ${pkgs.join(' ')}`);
  await aptUpdate();
  await run('apt-get', [...APT_LOCK_WAIT, 'install', '-y', ...pkgs], {
    label: 'apt-get install',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const still = missingPackages(forTests);
  if (still.length > 0) {
    throw new BuildError(
      `apt-get install succeeded but these are still missing: ${still.join(' ')}`,
    );
  }
  return `installed ${pkgs.join(' ')}`;
}
