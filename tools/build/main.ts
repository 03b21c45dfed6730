// Build orchestrator, run by scripts/bootstrap.mjs once node_modules exists.
//
//   main.ts build            system packages → kernel tree → kernel → userland → runtime → web page
//   main.ts test [paths|--node-test-flags]   build, then the node:test suites
//   main.ts start [-- --port N --host H]     build, then serve the web page (dist/node/serve.js)
//
// Every step is cached (see cache.ts), so a second run does almost nothing.
// Environment: WASMLINUX_SKIP_BUILD=1 skips the build in `test` mode (quick
// unit-test iterations); WASMLINUX_TEST_CONCURRENCY (default 1) and
// WASMLINUX_TEST_REPORTER (default tap) tune the test runner.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ensureSystemPackages } from './apt.js';
import { buildBusybox } from './busybox.js';
import { ensureKernelTree } from './kernel-source.js';
import { buildKernel } from './kernel.js';
import { buildMusl } from './musl.js';
import { repoRoot } from './paths.js';
import { BuildError, formatDuration, info, step, warn, withStep } from './progress.js';
import { buildRuntime } from './runtime.js';
import { buildUserland } from './userland.js';
import { buildWeb } from './web.js';

type Mode = 'build' | 'start' | 'test';
const MODES: readonly Mode[] = ['build', 'start', 'test'];

function isMode(s: string | undefined): s is Mode {
  return MODES.includes(s as Mode);
}

async function build(forTests: boolean): Promise<void> {
  const start = performance.now();
  const asDetail = (s: string): string => s;
  await withStep('system packages', () => ensureSystemPackages(forTests), asDetail);
  const tree = await withStep('kernel source tree', ensureKernelTree, asDetail);
  const kernel = await withStep(
    'kernel',
    () => buildKernel(tree),
    (k) => k.vmlinux,
  );
  const musl = await withStep(
    'musl',
    () => buildMusl(kernel),
    (m) => m.sysroot,
  );
  const busybox = await withStep(
    'busybox',
    () => buildBusybox(musl),
    (b) => `${b.busybox} (${b.applets.length} applets)`,
  );
  const userland = await withStep(
    'userland',
    () => buildUserland(kernel, musl, busybox),
    (u) => u.initramfs,
  );
  await withStep('runtime', buildRuntime, (r) => r.cli);
  await withStep(
    'web page',
    () => buildWeb({ vmlinux: kernel.vmlinux, initramfs: userland.initramfs }),
    (w) => w.dir,
  );
  info(`build finished in ${formatDuration(performance.now() - start)}`);
}

/**
 * Spawn with inherited stdio and resolve to an exit status. While the child
 * owns the terminal we ignore SIGINT (the child gets it too, from the
 * terminal, and decides what Ctrl-C means) and forward SIGTERM/SIGHUP.
 */
function spawnInherit(cmd: string, args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, stdio: 'inherit' });
    const ignore = (): void => {};
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const cleanup = (): void => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (err) => {
      cleanup();
      warn(`could not start ${cmd}: ${err.message}`);
      resolvePromise(127);
    });
    child.on('exit', (code, signal) => {
      cleanup();
      // Shell convention for "killed by signal N".
      resolvePromise(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/** All `*.test.ts` files under `dir`, sorted, so test/unit and test/e2e are both found. */
function findTestFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) return [dir];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.'))
        out.push(...findTestFiles(p));
    } else if (entry.name.endsWith('.test.ts')) {
      out.push(p);
    }
  }
  return out.sort();
}

async function runTests(args: readonly string[]): Promise<number> {
  const root = repoRoot();
  // Args starting with '-' are node --test flags (e.g. --test-name-pattern=x);
  // the rest are test files or dirs, relative to where the user ran npm.
  const flags = args.filter((a) => a.startsWith('-') && a !== '--');
  const paths = args.filter((a) => !a.startsWith('-'));
  const base = process.env['INIT_CWD'] ?? process.cwd();
  const files =
    paths.length > 0
      ? paths.flatMap((p) => findTestFiles(resolve(base, p)))
      : findTestFiles(join(root, 'test'));
  if (files.length === 0) {
    throw new BuildError(`no *.test.ts files found in ${paths.length ? paths.join(' ') : 'test/'}`);
  }
  const concurrency = process.env['WASMLINUX_TEST_CONCURRENCY'] ?? '1';
  // The tap reporter ends with "# pass N" / "# fail N" lines, which CI reads.
  const reporter = flags.some((f) => f.startsWith('--test-reporter'))
    ? []
    : [`--test-reporter=${process.env['WASMLINUX_TEST_REPORTER'] ?? 'tap'}`];
  const s = step(`tests (${files.length} file${files.length === 1 ? '' : 's'})`);
  const nodeArgs = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    ...reporter,
    ...flags,
    ...files.map((f) => relative(root, f)),
  ];
  const code = await spawnInherit(process.execPath, nodeArgs, root);
  if (code === 0) s.done();
  else s.fail(`test runner exited with ${code}`);
  return code;
}

/** `npm start`: serve the web page (dist/node/serve.js; --port, --host). */
async function runServer(args: readonly string[]): Promise<number> {
  const root = repoRoot();
  const serve = join(root, 'dist', 'node', 'serve.js');
  const serveArgs = args[0] === '--' ? args.slice(1) : args;
  return spawnInherit(process.execPath, [serve, ...serveArgs], root);
}

async function main(argv: readonly string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (!isMode(mode)) {
    process.stderr.write(`usage: main.ts ${MODES.join('|')} [args...]\n`);
    return 2;
  }
  if (mode === 'test' && process.env['WASMLINUX_SKIP_BUILD'] === '1') {
    warn('WASMLINUX_SKIP_BUILD=1: not building; tests use whatever was built before');
  } else {
    await build(mode === 'test');
  }
  if (mode === 'test') return runTests(rest);
  if (mode === 'start') return runServer(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof BuildError) {
      // An expected failure: the message says what and where; a stack would be noise.
      process.stderr.write(`\nerror: ${err.message}\n`);
      if (err.logTail.length > 0) {
        process.stderr.write(`--- last ${err.logTail.length} lines of output ---\n`);
        process.stderr.write(err.logTail.join('\n') + '\n');
        process.stderr.write(`---\n`);
      }
    } else {
      process.stderr.write(`\ninternal error in the build scripts:\n`);
      console.error(err);
    }
    process.exitCode = 1;
  },
);
