// Tests for region checking, the layout custom section and the postlink CLI,
// on modules linked by the real clang-19 / wasm-ld-19 at test time.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  appendCustomSection,
  readCustomSection,
  removeCustomSections,
} from '../../tools/wasm/custom-section.js';
import {
  LayoutError,
  checkRegion,
  readLayout,
  type ImageLayout,
  type RegionSpec,
} from '../../tools/wasm/layout.js';
import {
  LAYOUT_SECTION,
  parsePostlinkSpec,
  postlink,
  type LayoutRecord,
  type PostlinkSpec,
} from '../../tools/wasm/postlink.js';
import { WasmFormatError } from '../../src/core/wasm/reader.js';
import { CLANG, run, SKIP_WITHOUT_TOOLCHAIN, WASM_LD } from '../helpers/toolchain.js';

const SKIP = SKIP_WITHOUT_TOOLCHAIN;
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const FIRST_C = `
#define MARK(sec, name) __attribute__((used, section(sec), aligned(4))) char name[0]
MARK(".initcall0.init", __initcall0_start);
MARK(".initcall1.init", __initcall1_start);
MARK(".initcall_end", __initcall_end);
MARK("__sched", __sched_start);
`;
// gapA/gapB are 64-byte aligned 4-byte segments: gapB starts 60 bytes after gapA ends.
const A_C = `
typedef int (*initcall_t)(void);
static int fa(void) { return 1; }
static int fb(void) { return 2; }
static initcall_t __attribute__((used, section(".initcall0.init"))) ia = fa;
static initcall_t __attribute__((used, section(".initcall1.init"))) ib = fb;
struct sc { int a[8]; } __attribute__((aligned(32)));
const struct sc s1 __attribute__((used, section("__sched"), aligned(32))) = {{1}};
int gapa __attribute__((used, section("gapA"), aligned(64))) = 1;
int gapb __attribute__((used, section("gapB"), aligned(64))) = 2;
int data1 = 5;
int zz[100];
`;
const B_C = `
typedef int (*initcall_t)(void);
static int fc(void) { return 3; }
static initcall_t __attribute__((used, section(".initcall0.init"))) ic = fc;
static initcall_t __attribute__((used, section(".initcall1.init"))) id = fc;
void _start(void) {}
`;
const EXPORTS = [
  '__initcall0_start',
  '__initcall1_start',
  '__initcall_end',
  '__sched_start',
  '__start___sched',
  '__stop___sched',
  'gapa',
  'gapb',
  'zz',
  '_start',
];

const INITCALLS: RegionSpec = {
  name: 'initcalls',
  start: '__initcall0_start',
  end: '__initcall_end',
  segments: ['.initcall0.init', '.initcall1.init', '.initcall_end'],
  markers: { __initcall0_start: '.initcall0.init', __initcall1_start: '.initcall1.init' },
};
const SCHED: RegionSpec = {
  name: 'sched',
  start: '__start___sched',
  end: '__stop___sched',
  segments: ['__sched'],
  markers: { __sched_start: '__sched' },
};
const SPEC: PostlinkSpec = {
  regions: [INITCALLS, SCHED],
  requiredExports: ['_start', 'gapa'],
  requiredImports: ['env.memory'],
};

/** Returns the linked module and the address/size of each output segment from the -Map file. */
function build(
  dir: string,
  exportsList: readonly string[],
  name: string,
): { bytes: Uint8Array; map: Map<string, { address: number; size: number }> } {
  const objs: string[] = [];
  for (const [src, text] of [
    ['first', FIRST_C],
    ['a', A_C],
    ['b', B_C],
  ] as const) {
    writeFileSync(join(dir, `${src}.c`), text);
    run(
      CLANG,
      [
        '--target=wasm32-unknown-unknown',
        '-O2',
        '-matomics',
        '-mbulk-memory',
        '-nostdlib',
        '-c',
        `${src}.c`,
        '-o',
        `${src}.o`,
      ],
      dir,
    );
    objs.push(`${src}.o`);
  }
  run(
    WASM_LD,
    [
      '--no-entry',
      '--shared-memory',
      '--import-memory',
      '--max-memory=67108864',
      '--no-gc-sections',
      `-Map=${name}.map`,
      ...exportsList.map((e) => `--export=${e}`),
      ...objs,
      '-o',
      `${name}.wasm`,
    ],
    dir,
  );
  const map = new Map<string, { address: number; size: number }>();
  for (const line of readFileSync(join(dir, `${name}.map`), 'utf8').split('\n')) {
    // Output segment lines: "ADDR OFF SIZE name" with the name one space after SIZE.
    const m = /^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+) (\S+)$/.exec(line);
    if (m !== null) map.set(m[3]!, { address: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16) });
  }
  return { bytes: new Uint8Array(readFileSync(join(dir, `${name}.wasm`))), map };
}

function layoutError(re: RegExp): (e: unknown) => boolean {
  return (e: unknown): boolean => {
    assert.ok(e instanceof LayoutError, `expected LayoutError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  };
}

describe('postlink on real wasm-ld output', { skip: SKIP }, () => {
  let dir = '';
  let bytes: Uint8Array = new Uint8Array(0);
  let map = new Map<string, { address: number; size: number }>();
  let layout: ImageLayout;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'postlink-'));
    ({ bytes, map } = build(dir, EXPORTS, 'kernel'));
    layout = readLayout(bytes);
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const seg = (name: string): { address: number; size: number } => {
    const s = map.get(name);
    assert.ok(s !== undefined, `segment ${name} in map`);
    return s;
  };

  test('a correct region passes and its bounds match the map', () => {
    const b = checkRegion(layout, INITCALLS);
    assert.equal(b.start, seg('.initcall0.init').address);
    assert.equal(b.end, seg('.initcall1.init').address + seg('.initcall1.init').size);
    assert.ok(b.end > b.start);
    const s = checkRegion(layout, SCHED);
    assert.deepEqual(s, {
      start: seg('__sched').address,
      end: seg('__sched').address + seg('__sched').size,
    });
  });

  test('absent segments are skipped; an empty region needs start == end', () => {
    const empty: RegionSpec = {
      name: 'empty',
      start: '__initcall_end',
      end: '__initcall_end',
      segments: ['.nope'],
    };
    const b = checkRegion(layout, empty);
    assert.equal(b.start, b.end);
    assert.throws(
      () => checkRegion(layout, { ...empty, start: '__initcall0_start' }),
      layoutError(/region empty: end symbol __initcall_end/),
    );
  });

  test('wrong order fails', () => {
    const swapped = { ...INITCALLS, segments: ['.initcall1.init', '.initcall0.init'] };
    assert.throws(
      () => checkRegion(layout, swapped),
      layoutError(/region initcalls: segment \.initcall0\.init .* must follow \.initcall1\.init/),
    );
  });

  test('a gap between segments fails, naming expected and actual addresses', () => {
    const gapA = seg('gapA');
    const gapB = seg('gapB');
    assert.ok(gapB.address - (gapA.address + gapA.size) >= 16, 'test setup: a real gap exists');
    const region: RegionSpec = {
      name: 'gaps',
      start: 'gapa',
      end: 'gapb',
      segments: ['gapA', 'gapB'],
    };
    assert.throws(
      () => checkRegion(layout, region),
      layoutError(
        new RegExp(`region gaps: gap of \\d+ bytes .*actual 0x${gapB.address.toString(16)}`),
      ),
    );
  });

  test('a foreign segment inside the region fails', () => {
    const holed = { ...INITCALLS, segments: ['.initcall0.init', '.initcall_end'], markers: {} };
    assert.throws(
      () => checkRegion(layout, holed),
      layoutError(
        /region initcalls: foreign segment \.initcall1\.init \[0x[0-9a-f]+, 0x[0-9a-f]+\) lies inside/,
      ),
    );
  });

  test('missing start/end/marker exports fail', () => {
    assert.throws(
      () => checkRegion(layout, { ...INITCALLS, end: '__initcall9_end' }),
      layoutError(/end symbol __initcall9_end is not exported/),
    );
    assert.throws(
      () =>
        checkRegion(layout, { ...INITCALLS, markers: { __initcall7_start: '.initcall1.init' } }),
      layoutError(/marker symbol __initcall7_start is not exported/),
    );
  });

  test('marker with the wrong address fails with expected and actual', () => {
    const wrong = { ...INITCALLS, markers: { __initcall1_start: '.initcall0.init' } };
    const exp = seg('.initcall0.init').address.toString(16);
    const act = seg('.initcall1.init').address.toString(16);
    assert.throws(
      () => checkRegion(layout, wrong),
      layoutError(new RegExp(`marker __initcall1_start expected 0x${exp} .* actual 0x${act}`)),
    );
  });

  test('a link without the marker export fails postlink', () => {
    const sub = mkdtempSync(join(dir, 'nomarker-'));
    const built = build(
      sub,
      EXPORTS.filter((e) => e !== '__initcall1_start'),
      'kernel',
    );
    assert.throws(() => postlink(built.bytes, SPEC), layoutError(/__initcall1_start/));
  });

  test('postlink embeds the layout, stays valid, and is idempotent', () => {
    const out = postlink(bytes, SPEC);
    // Copy into a plain ArrayBuffer-backed view, as the WebAssembly API types require.
    assert.ok(WebAssembly.validate(new Uint8Array(out.bytes)), 'output validates');
    const mod = new WebAssembly.Module(new Uint8Array(out.bytes));
    const sections = WebAssembly.Module.customSections(mod, LAYOUT_SECTION);
    assert.equal(sections.length, 1);
    const record = JSON.parse(new TextDecoder().decode(sections[0])) as LayoutRecord;
    assert.equal(record.version, 1);
    assert.deepEqual(record.regions, out.regions);
    assert.deepEqual(record.regions['initcalls'], checkRegion(layout, INITCALLS));
    assert.deepEqual(record.segments, layout.segments);
    assert.equal(record.globals['zz'], seg('.bss').address);
    assert.deepEqual(record.memory, {
      initial: layout.memory.initial,
      maximum: 1024,
      shared: true,
    });
    assert.equal(record.tableSize, layout.tableSize);
    // Everything before the appended section is untouched.
    assert.deepEqual(out.bytes.subarray(0, bytes.length), bytes);
    const again = postlink(out.bytes, SPEC);
    assert.deepEqual(again.bytes, out.bytes);
  });

  test('required exports and imports are enforced', () => {
    assert.throws(
      () => postlink(bytes, { ...SPEC, requiredExports: ['_start', 'start_kernel'] }),
      layoutError(/missing required export\(s\): start_kernel/),
    );
    assert.throws(
      () => postlink(bytes, { ...SPEC, requiredImports: ['env.memory', 'env.wasm_host_call'] }),
      layoutError(/env\.wasm_host_call/),
    );
    assert.doesNotThrow(() => postlink(bytes, { regions: [], requiredImports: ['memory'] }));
  });

  test('fuzz: mutated images only ever raise WasmFormatError or LayoutError', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 500; i++) {
      let b = bytes.slice();
      const at = Math.floor(rnd() * b.length);
      b[at] = (b[at]! ^ (1 << Math.floor(rnd() * 8))) & 0xff;
      if (rnd() < 0.25) b = b.subarray(0, Math.floor(rnd() * b.length));
      try {
        postlink(b, SPEC);
      } catch (e) {
        assert.ok(
          e instanceof WasmFormatError || e instanceof LayoutError,
          `iteration ${i}: ${String(e)}`,
        );
      }
    }
  });

  test('CLI writes the output and reports failures with exit code 1', () => {
    const inPath = join(dir, 'kernel.wasm');
    const outPath = join(dir, 'kernel.post.wasm');
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const cli = join(REPO, 'tools/wasm/postlink-cli.ts');
    // Reuse however this test process loads TypeScript (node --import tsx, or the tsx CLI).
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
    const ok = spawnSync(
      process.execPath,
      [...execArgv, cli, inPath, outPath, '--spec', specPath],
      { encoding: 'utf8' },
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout.trim(), /^postlink: .*2 regions ok/);
    assert.equal(ok.stdout.trim().split('\n').length, 1);
    const written = new Uint8Array(readFileSync(outPath));
    assert.ok(readCustomSection(written, LAYOUT_SECTION) !== null);

    writeFileSync(
      specPath,
      JSON.stringify({ ...SPEC, regions: [{ ...INITCALLS, end: '__nope' }] }),
    );
    const bad = spawnSync(
      process.execPath,
      [...execArgv, cli, inPath, outPath, '--spec', specPath],
      { encoding: 'utf8' },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /LayoutError: region initcalls: end symbol __nope/);
  });
});

describe('custom sections', () => {
  // Smallest valid module: just the header.
  const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

  test('append, read, replace and remove round-trip', () => {
    const payload = new TextEncoder().encode('x'.repeat(300)); // size needs a 2-byte LEB
    const one = appendCustomSection(empty, 'wasmlinux.test', payload);
    assert.ok(WebAssembly.validate(new Uint8Array(one)));
    assert.deepEqual(readCustomSection(one, 'wasmlinux.test'), payload);
    const sec = WebAssembly.Module.customSections(
      new WebAssembly.Module(new Uint8Array(one)),
      'wasmlinux.test',
    );
    assert.deepEqual(new Uint8Array(sec[0]!), payload);
    assert.equal(readCustomSection(one, 'other'), null);
    assert.deepEqual(removeCustomSections(one, 'wasmlinux.test'), empty);
  });

  test('refuses a corrupt module', () => {
    assert.throws(
      () => appendCustomSection(Uint8Array.of(1, 2, 3), 'x', new Uint8Array(0)),
      WasmFormatError,
    );
    assert.throws(
      () => readCustomSection(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 0x10), 'x'),
      WasmFormatError,
    );
  });
});

describe('postlink spec parsing', () => {
  test('accepts a valid spec and rejects bad fields by name', () => {
    assert.deepEqual(parsePostlinkSpec(JSON.parse(JSON.stringify(SPEC)) as unknown), SPEC);
    assert.throws(
      () => parsePostlinkSpec({ regions: [{ name: 'r', start: 's', end: 1, segments: [] }] }),
      /regions\[0\]\.end must be a string/,
    );
    assert.throws(
      () => parsePostlinkSpec({ regions: [], requiredExports: 'x' }),
      /"requiredExports" must be an array/,
    );
  });
});
