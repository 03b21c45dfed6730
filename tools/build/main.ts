// Build orchestrator, run by scripts/bootstrap.mjs once node_modules exists.
//
//   main.ts build            system packages → kernel tree → kernel → userland → runtime → web page
//   main.ts test [paths|--node-test-flags]   build, then the node:test suites, on
//                                            each Node.js of WASMLINUX_TEST_NODES
//   main.ts start [-- --port N --host H]     build, then serve the web page (dist/node/serve.js)
//
// Every step is cached (see cache.ts), so a second run does almost nothing.
// Environment: WASMLINUX_SKIP_BUILD=1 skips the build in `test` mode (quick
// unit-test iterations); WASMLINUX_TEST_NODES (default system,24: the
// machine's Node.js, then the pinned 24; see test-nodes.ts) picks the Node.js
// binaries the suite runs on, one pass each, built once;
// WASMLINUX_TEST_CONCURRENCY (default 1) and WASMLINUX_TEST_REPORTER (default
// tap) tune the test runner.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ensureSystemPackages } from './apt.js';
import { buildBusybox } from './busybox.js';
import { buildDash } from './dash.js';
import { ensureCliNode } from './cli-node.js';
import { ensureKernelTree } from './kernel-source.js';
import { buildKernel } from './kernel.js';
import { buildMusl } from './musl.js';
import { repoRoot } from './paths.js';
import { runProcess } from './process.js';
import { BuildError, formatDuration, info, step, warn, withStep } from './progress.js';
import { buildRuntime } from './runtime.js';
import {
  checkNativeAddons,
  DEFAULT_TEST_NODES,
  describeNode,
  parseTestNodes,
  passEnv,
  resolveTestNode,
  type TestNode,
} from './test-nodes.js';
import {
  formatPasses,
  parseTapSummary,
  passOk,
  type PassResult,
  type Summary,
} from './test-summary.js';
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
  const ash = await withStep(
    'ash',
    () => buildBusybox(musl, 'ash'),
    (b) => b.busybox,
  );
  const dash = await withStep(
    'dash',
    () => buildDash(musl),
    (d) => d.dash,
  );
  const userland = await withStep(
    'userland',
    () => buildUserland(kernel, musl, busybox, ash, dash),
    (u) => u.initramfs,
  );
  await withStep('runtime', buildRuntime, (r) => r.cli);
  await withStep('CLI Node.js', ensureCliNode, (n) =>
    n ? `${n.node} (v${n.version}: JSPI)` : `this one (v${process.versions.node})`,
  );
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
async function spawnInherit(
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const ignore = (): void => {};
  let forward: (sig: NodeJS.Signals) => void = ignore;
  process.on('SIGINT', ignore);
  const onSignal = (sig: NodeJS.Signals): void => forward(sig);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const exit = await runProcess(cmd, args, {
    cwd,
    env,
    stdio: 'inherit',
    started: (kill) => (forward = kill),
  });
  process.off('SIGINT', ignore);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  if (exit.error) {
    warn(`could not start ${cmd}: ${exit.error.message}`);
    return 127;
  }
  // Shell convention for "killed by signal N".
  return exit.code ?? 128 + (exit.signal ? constants.signals[exit.signal] : 0);
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

/** Read the closing counts a pass's summary reporter wrote; null if it wrote none. */
function readSummary(file: string): Summary | null {
  try {
    return parseTapSummary(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Passes that repeat some end-to-end tests with the machine at another CPU
 * count (test/helpers/guest.ts passes WASMLINUX_TEST_CPUS on as --cpus), on
 * every Node.js, after the full passes: each Node.js runs kernel threads its
 * own way (a worker each on Node 20, a worker per CPU with JSPI on Node 24).
 * WASMLINUX_TEST_CPU_PASSES (default 1,4; empty for none) picks the counts.
 */
const CPU_PASS_FILES = [
  'test/e2e/shell.test.ts',
  'test/e2e/files.test.ts',
  'test/e2e/signals.test.ts',
  'test/e2e/preempt.test.ts',
  'test/e2e/threads.test.ts',
];

function cpuPasses(): number[] {
  const text = process.env['WASMLINUX_TEST_CPU_PASSES'] ?? '1,4';
  const counts = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return counts.map((t) => {
    const n = Number(t);
    if (!/^\d+$/.test(t) || n < 1 || n > 16) {
      throw new BuildError(`WASMLINUX_TEST_CPU_PASSES: "${t}" is not a CPU count from 1 to 16`);
    }
    return n;
  });
}

/** One run of the test files on one Node.js (with the machines at `cpus` CPUs, if given). */
async function runPass(
  node: TestNode,
  files: readonly string[],
  flags: readonly string[],
  cpus?: number,
): Promise<PassResult> {
  const root = repoRoot();
  const concurrency = process.env['WASMLINUX_TEST_CONCURRENCY'] ?? '1';
  // The tap reporter ends with "# pass N" / "# fail N" lines, which CI reads.
  // A second tap reporter writes to a file, for the summary across passes;
  // with reporters of the user's own, node would need a destination for each,
  // so there is no summary file then.
  const ownReporters = flags.some((f) => f.startsWith('--test-reporter'));
  const at = cpus === undefined ? '' : ` at --cpus ${cpus}`;
  const summaryFile = join(
    root,
    'build',
    'test-artifacts',
    `summary-node-${node.version}${cpus === undefined ? '' : `-cpus${cpus}`}.tap`,
  );
  mkdirSync(dirname(summaryFile), { recursive: true });
  rmSync(summaryFile, { force: true });
  const reporters = ownReporters
    ? []
    : [
        `--test-reporter=${process.env['WASMLINUX_TEST_REPORTER'] ?? 'tap'}`,
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${summaryFile}`,
      ];
  const n = files.length;
  const s = step(`tests on Node.js ${node.version}${at} (${n} file${n === 1 ? '' : 's'})`);
  const nodeArgs = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    ...reporters,
    ...flags,
    ...files.map((f) => relative(root, f)),
  ];
  const env = passEnv(node);
  const code = await spawnInherit(
    node.execPath,
    nodeArgs,
    root,
    cpus === undefined ? env : { ...env, WASMLINUX_TEST_CPUS: String(cpus) },
  );
  if (code === 0) s.done();
  else s.fail(`test runner exited with ${code}`);
  const summary = ownReporters ? null : readSummary(summaryFile);
  return { node: `${describeNode(node)}${at}`, exitCode: code, summary };
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
  // Every Node.js is fetched and checked before the first pass, so that a
  // missing one fails in seconds rather than after a whole pass.
  const names = parseTestNodes(process.env['WASMLINUX_TEST_NODES'] ?? DEFAULT_TEST_NODES);
  const nodes: TestNode[] = [];
  for (const name of names) {
    nodes.push(
      await withStep(
        `Node.js ${name}`,
        async () => {
          const node = await resolveTestNode(name);
          await checkNativeAddons(node, root);
          return node;
        },
        describeNode,
      ),
    );
  }
  // Ctrl-C or a signal during one pass ends the run there: the next pass
  // would only repeat what the user (or a CI timeout) just stopped.
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, stop);
  const passes: PassResult[] = [];
  // The whole suite only: a run of chosen files repeats nothing.
  const cpuCounts = paths.length === 0 ? cpuPasses() : [];
  const planned = nodes.length * (1 + cpuCounts.length);
  try {
    for (const node of nodes) {
      if (stopped) break;
      passes.push(await runPass(node, files, flags));
    }
    const cpuFiles = CPU_PASS_FILES.map((f) => join(root, f));
    for (const cpus of cpuCounts) {
      for (const node of nodes) {
        if (stopped) break;
        passes.push(await runPass(node, cpuFiles, flags, cpus));
      }
    }
  } finally {
    for (const sig of signals) process.off(sig, stop);
  }
  if (stopped && passes.length < planned) {
    warn(`stopped by a signal after ${passes.length} of ${planned} passes`);
  }
  for (const line of formatPasses(passes, planned)) process.stdout.write(`${line}\n`);
  const failed = passes.find((p) => !passOk(p));
  if (failed !== undefined) return failed.exitCode || 1;
  return passes.length < planned ? 130 : 0;
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
