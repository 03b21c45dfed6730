// The runtime's layering, checked rather than trusted: src/core, which runs
// in Node and in browsers alike, compiles without Node's types and passes
// ESLint's layering rules; and those rules do catch a core module that
// reaches for Node, the page, or a layer above it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Where a core module would be: the rules go by path. */
const PROBE = join(ROOT, 'src/core/layering-probe.ts');

async function lintAsCore(code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: PROBE });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

describe('src/core layering', { timeout: 120_000 }, () => {
  it('src/core compiles without Node’s types', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(ROOT, 'src/core')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('src/core passes the layering rules', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles(['src/core']);
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    assert.ok(results.length > 20, 'src/core was linted');
    assert.deepEqual(errors, []);
  });

  it('the rules reject Node’s modules and globals, the page’s, and the layers above', async () => {
    const cases: [string, string][] = [
      [
        "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
        'no-restricted-imports',
      ],
      ["import { join } from 'path';\nexport const f = join;\n", 'no-restricted-imports'],
      ["import { WebSocket } from 'ws';\nexport const f = WebSocket;\n", 'no-restricted-imports'],
      [
        "import { writeCpio } from '../../tools/x.js';\nexport const f = writeCpio;\n",
        'no-restricted-imports',
      ],
      [
        "import { startPasst } from '../node/passt.js';\nexport const f = startPasst;\n",
        'no-restricted-imports',
      ],
      ['export const f = (): void => process.exit(1);\n', 'no-restricted-globals'],
      ['export const f = (): number => Buffer.byteLength("x");\n', 'no-restricted-globals'],
      ['export const f = (): string => document.title;\n', 'no-restricted-globals'],
    ];
    for (const [code, rule] of cases) {
      assert.deepEqual(await lintAsCore(code), [rule], code);
    }
    // And a module of core's own kind passes.
    assert.deepEqual(
      await lintAsCore(
        "import { NET_FRAME_MAX } from './abi.js';\nexport const f = NET_FRAME_MAX;\n",
      ),
      [],
    );
  });
});
