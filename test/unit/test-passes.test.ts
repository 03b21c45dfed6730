// `npm test` runs the suite once per Node.js; its closing lines must show
// every pass and fail when any pass failed.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileIntegrity, NODE_RELEASES } from '../../tools/build/node-bin.js';
import { BuildError } from '../../tools/build/progress.js';
import { DEFAULT_TEST_NODES, parseTestNodes } from '../../tools/build/test-nodes.js';
import {
  formatPasses,
  parseTapSummary,
  passOk,
  type PassResult,
  type Summary,
} from '../../tools/build/test-summary.js';

const TAIL = [
  '# tests 12',
  '# suites 3',
  '# pass 10',
  '# fail 1',
  '# cancelled 0',
  '# skipped 1',
  '# todo 0',
  '# duration_ms 1234.5',
];

function summary(over: Partial<Summary> = {}): Summary {
  return {
    tests: 5,
    suites: 1,
    pass: 5,
    fail: 0,
    cancelled: 0,
    skipped: 0,
    todo: 0,
    duration_ms: 100,
    ...over,
  };
}

describe('parseTapSummary', () => {
  test('reads the closing block', () => {
    const tap = ['TAP version 13', 'ok 1 - a', '1..1', ...TAIL, ''].join('\n');
    assert.deepEqual(parseTapSummary(tap), {
      tests: 12,
      suites: 3,
      pass: 10,
      fail: 1,
      cancelled: 0,
      skipped: 1,
      todo: 0,
      duration_ms: 1234.5,
    });
  });

  test('ignores look-alike lines before the closing block', () => {
    const tap = ['# pass 99', 'ok 1 - a', ...TAIL].join('\n');
    assert.equal(parseTapSummary(tap)?.pass, 10);
  });

  test('is null for a run that ended without one', () => {
    assert.equal(parseTapSummary('TAP version 13\nok 1 - a\n'), null);
    assert.equal(parseTapSummary(TAIL.slice(2).join('\n')), null);
    assert.equal(parseTapSummary([...TAIL, 'not ok 2 - crashed'].join('\n')), null);
  });
});

describe('formatPasses', () => {
  const a: PassResult = { node: 'v20.20.2 (system)', exitCode: 0, summary: summary() };
  const b: PassResult = {
    node: 'v24.22.3 (pinned)',
    exitCode: 0,
    summary: summary({ tests: 6, pass: 6 }),
  };

  test('ends with totals over all passes, each pass, and a verdict', () => {
    const lines = formatPasses([a, b]);
    assert.ok(lines.includes('# tests 11'));
    assert.ok(lines.includes('# pass 11'));
    assert.ok(lines.includes('# fail 0'));
    assert.ok(lines.some((l) => l.startsWith('# node v20.20.2 (system): tests 5,')));
    assert.ok(lines.some((l) => l.startsWith('# node v24.22.3 (pinned): tests 6,')));
    assert.equal(lines.at(-1), '# all 2 Node.js passes passed');
  });

  test('names the failed pass, whether by count or by exit status', () => {
    const failing: PassResult = { ...b, exitCode: 1, summary: summary({ pass: 4, fail: 1 }) };
    assert.equal(passOk(failing), false);
    assert.equal(
      formatPasses([a, failing]).at(-1),
      '# of 2 Node.js passes: 1 FAILED (v24.22.3 (pinned))',
    );
    const crashed: PassResult = { ...b, exitCode: 7, summary: null };
    assert.equal(passOk(crashed), false);
    const lines = formatPasses([a, crashed]);
    assert.ok(lines.some((l) => l.includes('no summary; exit 7 (FAILED)')));
    assert.match(lines.at(-1) ?? '', /1 FAILED \(v24\.22\.3/);
  });

  test('says how many passes a signal kept from running', () => {
    assert.equal(formatPasses([a], 2).at(-1), '# of 2 Node.js passes: 1 not run (stopped)');
  });

  test('a single pass gets no totals, only its line and the verdict', () => {
    const lines = formatPasses([a]);
    assert.equal(lines.length, 2);
    assert.equal(lines.at(-1), '# all 1 Node.js pass passed');
  });
});

describe('parseTestNodes', () => {
  test('the default is the machine’s Node.js, then 24', () => {
    assert.deepEqual(parseTestNodes(DEFAULT_TEST_NODES), ['system', '24']);
  });

  test('drops repeats and blanks, keeps the order', () => {
    assert.deepEqual(parseTestNodes(' 24, system,,24 '), ['24', 'system']);
  });

  test('refuses unknown and empty lists', () => {
    assert.throws(() => parseTestNodes('system,19'), BuildError);
    assert.throws(() => parseTestNodes(' , '), BuildError);
  });
});

describe('NODE_RELEASES', () => {
  test('pins exact versions of the major they are filed under, with sha512 integrity', () => {
    for (const [major, pin] of Object.entries(NODE_RELEASES)) {
      assert.match(pin.version, /^\d+\.\d+\.\d+$/);
      assert.equal(pin.version.split('.')[0], major);
      assert.match(pin.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
    }
  });

  test('fileIntegrity gives npm’s dist.integrity format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmlinux-integrity-'));
    try {
      const file = join(dir, 'f');
      writeFileSync(file, 'abc');
      // sha512("abc"), base64.
      assert.equal(
        await fileIntegrity(file, 'sha512'),
        'sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
