// The real wasm toolchain, for tests that compile and link small modules.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export const CLANG = 'clang-19';
export const WASM_LD = 'wasm-ld-19';

const haveToolchain =
  spawnSync(CLANG, ['--version']).status === 0 && spawnSync(WASM_LD, ['--version']).status === 0;

/** node:test `skip` value: false when the toolchain is installed. */
export const SKIP_WITHOUT_TOOLCHAIN = haveToolchain
  ? false
  : `${CLANG}/${WASM_LD} not found: skipping tests that link real modules`;

/** Run a command in cwd; fail the test with its stderr if it fails. */
export function run(cmd: string, args: readonly string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}
