// The pinned Linux source tree, fetched from Debian and patched.
//
// Debian's linux-source package is used because apt repos are the only
// place (besides npm) this project's machines can download from. The .deb is
// pinned by version and sha256 so every machine builds the same kernel, and
// the extracted tree is cached keyed by that hash plus kernel/patches/, so it
// is only re-extracted when a patch changes.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { aptUpdate, isRoot } from './apt.js';
import { cachedDir, hashInputs } from './cache.js';
import { checkPinned } from './debian.js';
import { applySeries } from './patches.js';
import { cacheRoot, repoRoot } from './paths.js';
import { BuildError, info, run, runCapture } from './progress.js';

export const LINUX_SOURCE = {
  package: 'linux-source-6.12',
  version: '6.12.117-1~deb12u1',
  sha256: 'e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703',
} as const;

/** Tarball inside the .deb that holds the actual source. */
const TARBALL = 'usr/src/linux-source-6.12.tar.xz';

export function patchesDir(): string {
  return join(repoRoot(), 'kernel', 'patches');
}

function debFileName(): string {
  return `${LINUX_SOURCE.package}_${LINUX_SOURCE.version}_all.deb`;
}

function aptListsLookEmpty(): boolean {
  const dir = '/var/lib/apt/lists';
  return !existsSync(dir) || !readdirSync(dir).some((n) => n.includes('_Packages'));
}

function pinGoneError(): BuildError {
  const { package: pkg, version } = LINUX_SOURCE;
  return new BuildError(
    `${pkg}=${version} (the pinned kernel source) is not in the Debian archive any more.\n` +
      `  Debian's security archive only keeps recent versions. To move the pin:\n` +
      `    apt-get update && apt-cache policy ${pkg}        # pick a version\n` +
      `    apt-get download ${pkg}=<version> && sha256sum ${pkg}_*.deb\n` +
      `  then update LINUX_SOURCE.version and .sha256 in tools/build/kernel-source.ts\n` +
      `  (and check that kernel/patches/ still apply).`,
  );
}

// apt drops privileges to _apt for downloads, which cannot write to root's
// cache dir; it then falls back with a noisy warning. Ask for root directly.
function aptDownloadArgs(): string[] {
  const spec = `${LINUX_SOURCE.package}=${LINUX_SOURCE.version}`;
  return [...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []), 'download', spec];
}

async function aptDownload(dir: string): Promise<void> {
  const label = `apt-get download ${LINUX_SOURCE.package}`;
  try {
    await run('apt-get', aptDownloadArgs(), { cwd: dir, label });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    const notFound = err.logTail.some((l) =>
      /not found|Unable to locate|Can't select|no installation candidate/i.test(l),
    );
    if (!notFound) throw err;
    // Stale lists may simply predate the pinned version: refresh once, retry.
    if (!isRoot()) throw pinGoneError();
    info('pinned version not in the package lists; running apt-get update and retrying');
    await aptUpdate();
    try {
      await run('apt-get', aptDownloadArgs(), { cwd: dir, label });
    } catch (err2) {
      if (err2 instanceof BuildError) throw pinGoneError();
      throw err2;
    }
  }
}

/** Path of the pinned, sha256-verified linux-source .deb in `<cacheRoot>/downloads/`. */
export async function ensureSourceDeb(): Promise<string> {
  const dir = join(cacheRoot(), 'downloads');
  const final = join(dir, debFileName());
  if (!existsSync(final)) {
    mkdirSync(dir, { recursive: true });
    if (aptListsLookEmpty()) {
      if (!isRoot()) {
        throw new BuildError('the apt package lists are empty; run `sudo apt-get update` first');
      }
      await aptUpdate();
    }
    // Download into a private dir: apt-get picks the file name (it escapes
    // the epoch/colon) and a half-written file must never sit at `final`.
    const tmp = join(dir, `.dl-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    try {
      await aptDownload(tmp);
      const debs = readdirSync(tmp).filter((n) => n.endsWith('.deb'));
      if (debs.length !== 1 || debs[0] === undefined) {
        throw new BuildError(`apt-get download produced ${debs.length} .deb files in ${tmp}`);
      }
      renameSync(join(tmp, debs[0]), final);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  await checkPinned(
    final,
    LINUX_SOURCE.sha256,
    'If Debian really rebuilt this version, update LINUX_SOURCE in tools/build/kernel-source.ts.',
  );
  return final;
}

async function extract(deb: string, dest: string): Promise<void> {
  // The .deb wraps a .tar.xz; unpack the wrapper inside dest so a failure
  // cleans it up together with the partial tree.
  const wrapper = join(dest, '.deb-contents');
  await run('dpkg', ['-x', deb, wrapper], { label: 'dpkg -x linux-source' });
  const tarball = join(wrapper, TARBALL);
  if (!existsSync(tarball)) throw new BuildError(`${deb} does not contain ${TARBALL}`);
  // xz's index gives the unpacked size up front, so progress can say "x of y".
  const robot = await runCapture('xz', ['--robot', '--list', tarball]);
  const totals = robot.split('\n').find((l) => l.startsWith('totals'));
  const bytes = Number(totals?.split('\t')[4]);
  const of = Number.isFinite(bytes) && bytes > 0 ? ` of ${(bytes / 2 ** 30).toFixed(1)}GiB` : '';
  await run(
    'tar',
    [
      '-xf',
      tarball,
      '-C',
      dest,
      '--strip-components=1', // the tarball's top dir is linux-source-6.12/
      '--checkpoint=5000', // 5000 records of 10 KiB: ~30 progress lines in total
      `--checkpoint-action=echo=%{r}T${of}`,
    ],
    { label: 'tar xf linux-source-6.12.tar.xz' },
  );
  rmSync(wrapper, { recursive: true, force: true });
}

function applyPatches(tree: string, dir: string): Promise<number> {
  return applySeries(tree, dir, {
    what: 'kernel patch',
    against: `${LINUX_SOURCE.package} ${LINUX_SOURCE.version}`,
  });
}

/**
 * The patched kernel source tree, cached in `<cacheRoot>/kernel-tree/<key>`.
 * Builds use a separate output dir; the only thing later written into the
 * tree is the kernel/arch/wasm overlay (see overlay.ts), which the key
 * deliberately leaves out so that editing arch code never re-extracts.
 */
export async function ensureKernelTree(): Promise<string> {
  const dir = patchesDir();
  const key = hashInputs(['linux-source', LINUX_SOURCE.sha256, { dir }]);
  const build = async (tmp: string): Promise<void> => {
    const deb = await ensureSourceDeb();
    await extract(deb, tmp);
    const n = await applyPatches(tmp, dir);
    info(
      n > 0 ? `applied ${n} patch(es) from kernel/patches/series` : 'no kernel patches to apply',
    );
    // The key was computed before extraction; if the patches were edited in
    // the meantime the tree would be cached under a key it does not match.
    if (hashInputs(['linux-source', LINUX_SOURCE.sha256, { dir }]) !== key) {
      throw new BuildError(
        'kernel/patches/ changed while the kernel tree was being prepared; run again',
      );
    }
  };
  // Each patch edit makes a new ~1.7 GB tree; keep a few for other checkouts.
  return cachedDir('kernel-tree', key, build, { keep: 3 });
}
