// Debian source packages, the one place builds take upstream sources from:
// `apt-get source --download-only` through a private apt setup (its own
// sources.list, lists and cache in a temp dir), so the system's apt
// configuration is never touched, and the upstream tarball pinned by sha256.

import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { isRoot } from './apt.js';
import { applySeries } from './patches.js';
import { cacheRoot, repoRoot } from './paths.js';
import { BuildError, run } from './progress.js';

/** A Debian source package whose upstream tarball a build uses, pinned by sha256. */
export interface DebianSource {
  readonly package: string;
  /** The Debian version (with its epoch, if any) that `apt-get source` asks for. */
  readonly version: string;
  /** The Debian release whose deb-src the private apt setup reads. */
  readonly suite: string;
  readonly mirror: string;
  /** The upstream tarball's name in the source package. */
  readonly orig: string;
  readonly sha256: string;
  /** Where a maintainer updates the pin, for error messages. */
  readonly pinnedIn: string;
  /** Where the patches that must still apply live, for error messages (none: built as it comes). */
  readonly patchesDir?: string;
}

/**
 * Checks a downloaded file against its pinned sha256; a file that does not
 * match is deleted (so a rerun downloads it again) and the build stops.
 */
export async function checkPinned(file: string, sha256: string, hint: string): Promise<void> {
  const actual = await sha256File(file);
  if (actual === sha256) return;
  rmSync(file, { force: true });
  throw new BuildError(
    `sha256 mismatch for ${basename(file)} (the file was deleted; a rerun downloads it again)\n` +
      `  expected: ${sha256}\n  actual:   ${actual}\n  ${hint}`,
  );
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function origPath(src: DebianSource): string {
  return join(cacheRoot(), 'downloads', src.orig);
}

function pinGoneError(src: DebianSource): BuildError {
  const { package: pkg, version, suite } = src;
  return new BuildError(
    `${pkg}=${version} (the pinned ${pkg} source) is not in Debian ${suite}'s deb-src any more.\n` +
      `  To move the pin, pick a version from Debian's archive, download it with\n` +
      `    apt-get source --download-only ${pkg}=<version>\n` +
      `  then update ${src.pinnedIn} (version, orig, sha256)` +
      (src.patchesDir ? ` and check that\n  ${src.patchesDir} still apply.` : '.'),
  );
}

/**
 * apt-get with a private configuration in `dir`: its own sources.list
 * (deb-src only), package lists and cache, nothing from /etc/apt/sources.list*.
 */
function privateAptArgs(dir: string): string[] {
  return [
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/nonexistent',
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    '-o',
    'Acquire::Languages=none',
    // As root apt would drop to _apt for downloads, which cannot write here.
    ...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []),
  ];
}

/** The sha256 the .dsc gives for the orig tarball, or undefined if it does not list it. */
export function dscOrigSha256(dsc: string, orig: string): string | undefined {
  const lines = dsc.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Checksums-Sha256:'));
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ')) break;
    const [sum, , name] = line.trim().split(/\s+/);
    if (name === orig) return sum;
  }
  return undefined;
}

async function aptSourceDownload(src: DebianSource, dest: string): Promise<void> {
  const { package: pkg, version, suite, mirror } = src;
  const apt = join(dest, '.apt');
  for (const d of ['lists/partial', 'cache/archives/partial']) {
    mkdirSync(join(apt, d), { recursive: true });
  }
  writeFileSync(join(apt, 'sources.list'), `deb-src ${mirror} ${suite} main\n`);
  const opts = privateAptArgs(apt);
  await run('apt-get', [...opts, 'update'], { label: `apt-get update (${pkg} deb-src)` });
  try {
    await run('apt-get', [...opts, 'source', '--download-only', `${pkg}=${version}`], {
      cwd: dest,
      label: `apt-get source ${pkg}`,
    });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    const gone = err.logTail.some((l) =>
      /Can not find version|Unable to find a source package|Can't find a source/i.test(l),
    );
    throw gone ? pinGoneError(src) : err;
  }
  rmSync(apt, { recursive: true, force: true });
}

/** The pinned, sha256-verified upstream tarball of `src` in `<cacheRoot>/downloads/`. */
export async function ensureDebianSource(src: DebianSource): Promise<string> {
  const final = origPath(src);
  if (!existsSync(final)) {
    const dir = join(cacheRoot(), 'downloads');
    const tmp = join(dir, `.${src.package}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await aptSourceDownload(src, tmp);
      const dscName = readdirSync(tmp).find((n) => n.endsWith('.dsc'));
      if (!dscName) throw new BuildError(`apt-get source left no .dsc file in ${tmp}`);
      const listed = dscOrigSha256(readFileSync(join(tmp, dscName), 'utf8'), src.orig);
      if (listed === undefined) {
        throw new BuildError(
          `${dscName} does not list ${src.orig}: the Debian package changed its upstream source.\n` +
            `  Update ${src.pinnedIn}.`,
        );
      }
      if (listed !== src.sha256) {
        throw new BuildError(
          `${dscName} gives ${src.orig} the sha256 ${listed}, not the pinned ${src.sha256}.\n` +
            `  If Debian really changed the upstream tarball, update ${src.pinnedIn}.`,
        );
      }
      if (!existsSync(join(tmp, src.orig))) {
        throw new BuildError(`apt-get source did not download ${src.orig}`);
      }
      renameSync(join(tmp, src.orig), final);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  await checkPinned(
    final,
    src.sha256,
    `If Debian really changed ${src.orig}, update ${src.pinnedIn}.`,
  );
  return final;
}

/** Apply the patches listed in `<src.patchesDir>/series` to `tree`, in order. */
export async function applyPatches(tree: string, src: DebianSource): Promise<number> {
  if (!src.patchesDir) return 0;
  return applySeries(tree, join(repoRoot(), src.patchesDir), {
    what: `${src.package} patch`,
    against: `${src.package} ${src.version}`,
  });
}
