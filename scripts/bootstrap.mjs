#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run build`.
//
// Plain JavaScript with no dependencies, because it runs before node_modules
// exists: it installs the npm dependencies when they are missing or stale,
// then hands over to the TypeScript orchestrator (tools/build/main.ts) via
// tsx. Usage: node scripts/bootstrap.mjs build|start|test [args...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODES = ['build', 'start', 'test'];

function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

// Node.js lines this project is tested on (package.json "engines" says the
// same): 20 from 20.19 and 22 from 22.13, because eslint needs them, and 24
// and later. `npm test` runs the suite on the machine's Node.js and on 24.
function supportedNode(major, minor) {
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major >= 24;
}

function checkNode() {
  // `--import` (used to load tsx) needs Node >= 20.6, so older ones cannot
  // even build; between that and the supported lines, building and testing
  // work but are not tested, so they only get a warning.
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) {
    fail(`Node.js 20.19+, 22.13+ or 24+ is required (this is ${process.versions.node})`);
  }
  if (!supportedNode(major, minor)) {
    process.stderr.write(
      `warning: Node.js ${process.versions.node} is not a tested version (20.19+, 22.13+, 24+)\n`,
    );
  }
}

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Why node_modules needs (re)installing, or null when it is up to date. */
function staleReason() {
  const nm = join(root, 'node_modules');
  if (!existsSync(join(nm, 'tsx', 'package.json'))) return 'node_modules is missing';
  // npm rewrites node_modules/.package-lock.json on every install, so its
  // mtime says when node_modules was last synced. The slack absorbs npm
  // writing package-lock.json a moment after it during `npm install`.
  const installed = mtimeMs(join(nm, '.package-lock.json'));
  const lock = mtimeMs(join(root, 'package-lock.json'));
  const manifest = lock >= 0 ? lock : mtimeMs(join(root, 'package.json'));
  if (manifest > installed + 2000) {
    return `${lock >= 0 ? 'package-lock.json' : 'package.json'} is newer than node_modules`;
  }
  return null;
}

function ensureNodeModules() {
  const reason = staleReason();
  if (reason === null) return;
  const useCi = existsSync(join(root, 'package-lock.json'));
  const args = useCi ? ['ci'] : ['install'];
  process.stdout.write(`==> npm ${args.join(' ')} (${reason})\n`);
  const started = Date.now();
  // Output stays visible: an install is slow enough that silence looks like a hang.
  const res = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (res.error) fail(`could not run npm: ${res.error.message}`);
  if (res.status !== 0) fail(`npm ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`==> npm ${args.join(' ')} ... done (${secs}s)\n`);
}

function runOrchestrator(mode, rest) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join('tools', 'build', 'main.ts'), mode, ...rest],
    {
      cwd: root,
      stdio: 'inherit',
      // main.ts resolves test paths against the directory the user ran from.
      env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
    },
  );
  // The child shares our terminal and gets Ctrl-C itself; we just wait for it.
  // Signals sent to us alone (e.g. a CI timeout) are passed on.
  const ignore = () => {};
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  child.on('error', (err) => fail(`could not start node: ${err.message}`));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 0);
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  });
}

const [mode, ...rest] = process.argv.slice(2);
if (!MODES.includes(mode)) {
  fail(`usage: node scripts/bootstrap.mjs ${MODES.join('|')} [args...]`);
}
checkNode();
ensureNodeModules();
runOrchestrator(mode, rest);
