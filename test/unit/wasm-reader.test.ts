// Tests for the wasm binary reader and __wasm_init_memory decoding against
// modules produced by the real clang-19 / wasm-ld-19 at test time. The
// linker's own -Map output is the oracle for segment addresses.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { decodeInitMemory, segmentPlacements } from '../../tools/wasm/init-memory.js';
import { LayoutError, readLayout } from '../../tools/wasm/layout.js';
import { encodeUnsigned, readSignedBig, readUnsigned } from '../../src/core/wasm/leb128.js';
import { WasmFormatError, readImports, readModule } from '../../src/core/wasm/reader.js';
import { CLANG, run, SKIP_WITHOUT_TOOLCHAIN, WASM_LD } from '../helpers/toolchain.js';
import { seededRandom as prng } from '../helpers/random.js';

const SKIP = SKIP_WITHOUT_TOOLCHAIN;

// Marker symbols: zero-size, placed first (first.o links first) in each named segment.
const FIRST_C = `
#define MARK(sec, name) __attribute__((used, section(sec), aligned(4))) char name[0]
MARK(".initcall0.init", __initcall0_start);
MARK(".initcall1.init", __initcall1_start);
MARK(".initcall_end", __initcall_end);
`;
const A_C = `
typedef int (*initcall_t)(void);
static int fa(void) { return 1; }
static int fb(void) { return 2; }
static initcall_t __attribute__((used, section(".initcall0.init"))) ia = fa;
static initcall_t __attribute__((used, section(".initcall1.init"))) ib = fb;
__thread int tlsv = 3;
__thread int tlsz;
int *get_tls(void) { return &tlsv; }
int *get_tlsz(void) { return &tlsz; }
int data1 = 5;
const char ro[] = "hello";
int zz[100];
int pa[256] __attribute__((section(".bss..page_aligned"), aligned(4096)));
`;
const B_C = `
typedef int (*initcall_t)(void);
static int fc(void) { return 3; }
static initcall_t __attribute__((used, section(".initcall0.init"))) ic = fc;
static initcall_t __attribute__((used, section(".initcall1.init"))) id = fc;
int bzz[10];
char big[100] __attribute__((section(".data..cacheline"), aligned(16))) = { 1 };
`;

interface MapSegment {
  readonly name: string;
  readonly address: number;
  readonly size: number;
}

/** Output data segments from a wasm-ld -Map file (lines of the DATA section with a single-space name column). */
function parseMapSegments(map: string): MapSegment[] {
  const lines = map.split('\n');
  const start = lines.findIndex((l) => /^\s*-\s+[0-9a-f]+\s+[0-9a-f]+ DATA$/.test(l));
  assert.ok(start >= 0, 'map file has a DATA section');
  const out: MapSegment[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*-\s/.test(line)) break; // next top-level section (CUSTOM...)
    const m = /^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+) (\S.*)$/.exec(line);
    if (m !== null)
      out.push({ address: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! });
  }
  return out;
}

interface Built {
  readonly bytes: Uint8Array;
  readonly map: MapSegment[];
}

function build(
  dir: string,
  name: string,
  opts: { shared: boolean; ldExtra?: readonly string[] },
): Built {
  const cflags = ['--target=wasm32-unknown-unknown', '-O2', '-nostdlib', '-c'];
  if (opts.shared) cflags.push('-matomics', '-mbulk-memory');
  const objs: string[] = [];
  for (const [src, text] of [
    ['first', FIRST_C],
    ['a', A_C],
    ['b', B_C],
  ] as const) {
    writeFileSync(join(dir, `${src}.c`), text);
    const obj = `${name}-${src}.o`;
    run(CLANG, [...cflags, `${src}.c`, '-o', obj], dir);
    objs.push(obj);
  }
  const ld = [
    '--no-entry',
    '--import-memory',
    '--max-memory=67108864',
    '--no-gc-sections',
    `-Map=${name}.map`,
  ];
  if (opts.shared) ld.push('--shared-memory');
  for (const s of ['__initcall0_start', '__initcall1_start', '__initcall_end', 'zz', 'data1'])
    ld.push(`--export=${s}`);
  run(WASM_LD, [...ld, ...(opts.ldExtra ?? []), ...objs, '-o', `${name}.wasm`], dir);
  return {
    bytes: new Uint8Array(readFileSync(join(dir, `${name}.wasm`))),
    map: parseMapSegments(readFileSync(join(dir, `${name}.map`), 'utf8')),
  };
}

describe('leb128', () => {
  test('round-trips unsigned values and rejects overlong/oversized encodings', () => {
    for (const v of [0, 1, 127, 128, 300, 0x7fffffff, 0xffffffff]) {
      const e = encodeUnsigned(v);
      assert.deepEqual(readUnsigned(e, 0, e.length), { value: v, next: e.length });
    }
    assert.throws(
      () => readUnsigned(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), 0, 6),
      WasmFormatError,
    );
    assert.throws(
      () => readUnsigned(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f), 0, 5),
      WasmFormatError,
    );
    assert.throws(() => readUnsigned(Uint8Array.of(0x80), 0, 1), /unexpected end/);
  });

  test('decodes signed values with sign extension', () => {
    assert.equal(readSignedBig(Uint8Array.of(0x7f), 0, 1, 32).value, -1n);
    assert.equal(readSignedBig(Uint8Array.of(0x80, 0x7f), 0, 2, 32).value, -128n);
    assert.equal(
      readSignedBig(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x07), 0, 5, 32).value,
      0x7fffffffn,
    );
    assert.equal(
      readSignedBig(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x78), 0, 5, 32).value,
      -0x80000000n,
    );
    assert.throws(
      () => readSignedBig(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 0, 5, 32),
      WasmFormatError,
    );
  });
});

describe('reader and init-memory on real wasm-ld output', { skip: SKIP }, () => {
  let dir = '';
  let shared: Built;
  let unmerged: Built;
  let active: Built;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasm-reader-'));
    shared = build(dir, 'shared', { shared: true });
    unmerged = build(dir, 'unmerged', { shared: true, ldExtra: ['--no-merge-data-segments'] });
    active = build(dir, 'active', { shared: false });
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('parses imports, exports, names and code', () => {
    const mod = readModule(shared.bytes);
    const mem = mod.imports.find((i) => i.desc.kind === 'memory');
    assert.ok(mem !== undefined);
    assert.equal(`${mem.module}.${mem.name}`, 'env.memory');
    assert.equal(mem.desc.kind, 'memory');
    if (mem.desc.kind === 'memory') {
      assert.equal(mem.desc.limits.maximum, 1024); // --max-memory=64 MiB in 64 KiB pages
      assert.equal(mem.desc.limits.shared, true);
    }
    assert.equal(mod.code.length, mod.functions.length);
    assert.ok([...(mod.names?.functions.values() ?? [])].includes('__wasm_init_memory'));
    assert.equal(mod.dataCount, mod.data.length);
    assert.ok(
      mod.data.every((d) => d.mode === 'passive'),
      'shared memory makes every segment passive',
    );
    const segNames = [...(mod.names?.dataSegments.values() ?? [])];
    assert.deepEqual(segNames.slice(0, 3), ['.tdata', '.rodata', '.data']);
    const marker = mod.exports.find((e) => e.name === '__initcall0_start');
    assert.equal(marker?.kind, 'global');
    // Exported data symbols become immutable i32 globals holding the address.
    const g =
      mod.globals[
        (marker?.index ?? 0) - mod.imports.filter((i) => i.desc.kind === 'global').length
      ];
    assert.equal(g?.type.mutable, false);
    assert.equal(g?.init.kind, 'i32.const');
  });

  test('init-memory placements match the -Map file (merged segments)', () => {
    const mod = readModule(shared.bytes);
    const placements = decodeInitMemory(mod);
    assert.ok(placements !== null);
    const got = placements.map((p) => ({ name: p.name, address: p.address, size: p.size }));
    assert.deepEqual(got, shared.map);
    // .bss is zero-filled, not a data segment; everything else is memory.init.
    assert.deepEqual(
      placements.filter((p) => p.kind === 'fill').map((p) => p.name),
      ['.bss'],
    );
    const bss = placements.find((p) => p.kind === 'fill');
    assert.equal(bss?.segment, -1);
  });

  test('init-memory placements match the -Map file (--no-merge-data-segments, several fills)', () => {
    const placements = decodeInitMemory(readModule(unmerged.bytes));
    assert.ok(placements !== null);
    assert.equal(placements.length, unmerged.map.length);
    for (const [i, p] of placements.entries()) {
      const m = unmerged.map[i]!;
      assert.equal(p.address, m.address, `address of ${m.name}`);
      assert.equal(p.size, m.size, `size of ${m.name}`);
      if (p.kind === 'init') assert.equal(p.name, m.name);
      else assert.match(m.name, /^\.bss/);
    }
    assert.ok(placements.filter((p) => p.kind === 'fill').length >= 2);
  });

  test('active (non-shared) module: addresses come from offset expressions', () => {
    const mod = readModule(active.bytes);
    assert.ok(mod.data.every((d) => d.mode === 'active'));
    const placements = segmentPlacements(mod).sort((a, b) => a.address - b.address);
    assert.deepEqual(
      placements.map((p) => ({ name: p.name, address: p.address, size: p.size })),
      active.map,
    );
    const layout = readLayout(active.bytes);
    assert.equal(layout.memory.shared, false);
    assert.equal(layout.memory.maximum, 1024);
  });

  test('layout exposes exported address globals', () => {
    const layout = readLayout(shared.bytes);
    const zz = shared.map.find((s) => s.name === '.bss');
    assert.equal(
      layout.globals['__initcall0_start'],
      shared.map.find((s) => s.name === '.initcall0.init')?.address,
    );
    assert.equal(layout.globals['zz'], zz?.address);
    assert.ok(layout.functionCount > 0);
  });

  test('header errors are WasmFormatError with clear messages', () => {
    assert.throws(
      () => readModule(new Uint8Array(0)),
      (e: unknown) =>
        e instanceof WasmFormatError && /shorter than the 8-byte header/.test(e.message),
    );
    const badMagic = shared.bytes.slice();
    badMagic[1] = 0x62;
    assert.throws(
      () => readModule(badMagic),
      (e: unknown) => e instanceof WasmFormatError && /bad magic/.test(e.message),
    );
    const badVersion = shared.bytes.slice();
    badVersion[4] = 2;
    assert.throws(
      () => readModule(badVersion),
      (e: unknown) => e instanceof WasmFormatError && /version 2/.test(e.message),
    );
    // Section size overrunning the module.
    const overrun = shared.bytes.slice();
    overrun[9] = 0x7f; // type section size (single-byte LEB in these small modules)
    assert.throws(() => readModule(overrun), WasmFormatError);
  });

  test('every truncation parses or throws WasmFormatError', () => {
    const full = shared.bytes;
    const boundaries = new Set([8, ...readModule(full).sections.map((s) => s.payload.end)]);
    for (let len = 0; len < full.length; len++) {
      try {
        readLayout(full.subarray(0, len));
        // Cutting exactly at a section boundary can leave a valid (smaller) module.
        assert.ok(boundaries.has(len), `truncation to ${len} bytes was accepted`);
      } catch (e) {
        if (e instanceof WasmFormatError || e instanceof LayoutError) continue;
        throw e;
      }
    }
  });

  test('fuzz: random truncations and byte flips throw only WasmFormatError/LayoutError', () => {
    const rnd = prng(0x5eed);
    let rejected = 0;
    for (let i = 0; i < 500; i++) {
      let b = shared.bytes.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) {
        const at = 8 + Math.floor(rnd() * (b.length - 8));
        b[at] = Math.floor(rnd() * 256);
      }
      if (rnd() < 0.3) b = b.subarray(0, Math.floor(rnd() * b.length));
      try {
        readLayout(b);
      } catch (e) {
        assert.ok(
          e instanceof WasmFormatError || e instanceof LayoutError,
          `iteration ${i}: unexpected ${String(e)}`,
        );
        rejected++;
      }
    }
    assert.ok(rejected > 0, 'some mutations must be rejected');
    // That a corrupt count cannot make this slow is checked without a
    // clock by 'a vector count larger than its section is rejected'.
  });
});

// ---- hand-assembled modules for the decoder's strictness ----

function vec(items: readonly number[][]): number[] {
  return [...encodeUnsigned(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...encodeUnsigned(payload.length), ...payload];
}

function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...encodeUnsigned(b.length), ...b];
}

/** A module importing shared memory with one passive 4-byte segment and the given init body. */
const HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // \0asm, version 1

function initModule(body: number[]): Uint8Array {
  const code = [0x00, ...body]; // no locals
  return Uint8Array.from([
    ...HEADER,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x03, 0x01, 0x02]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('__wasm_init_memory'), 0x00, 0x00]])),
    ...section(12, [0x01]),
    ...section(10, vec([[...encodeUnsigned(code.length), ...code]])),
    ...section(11, vec([[0x01, 0x04, 1, 2, 3, 4]])),
  ]);
}

describe('init-memory strictness (hand-assembled)', () => {
  // i32.const with a single-byte signed LEB (values 0..63 only).
  const i32 = (v: number): number[] => {
    assert.ok(v >= 0 && v < 64);
    return [0x41, v];
  };

  test('decodes memory.init and memory.fill', () => {
    // 0x100: memory.init 0 ; 0x200: fill 16 zero bytes ; data.drop 0
    const body = [
      ...i32(0x10),
      0x41,
      0x00,
      0x41,
      0x04,
      0xfc,
      0x08,
      0x00,
      0x00,
      ...i32(0x20),
      0x41,
      0x00,
      0x41,
      0x10,
      0xfc,
      0x0b,
      0x00,
      0xfc,
      0x09,
      0x00,
      0x0b,
    ];
    const mod = readModule(initModule(body));
    assert.deepEqual(decodeInitMemory(mod), [
      { segment: 0, name: 'data[0]', address: 0x10, size: 4, kind: 'init' },
      { segment: -1, name: '.bss', address: 0x20, size: 16, kind: 'fill' },
    ]);
  });

  test('unknown opcode is reported with its offset', () => {
    const bytes = initModule([0x43, 0, 0, 0, 0, 0x1a, 0x0b]); // f32.const 0; drop
    const mod = readModule(bytes);
    assert.throws(
      () => decodeInitMemory(mod),
      (e: unknown) => {
        assert.ok(e instanceof WasmFormatError);
        assert.match(e.message, /unsupported opcode 0x43/);
        assert.equal(bytes[e.offset], 0x43);
        return true;
      },
    );
  });

  test('a vector count larger than its section is rejected before any item is read', () => {
    // A flipped count must not make the reader loop or allocate for 2^32
    // items: each vector's count is checked against the bytes left. Each
    // section here holds only its count, 0xffffffff.
    const huge = [...encodeUnsigned(0xffffffff)];
    for (const [id, what] of [
      [1, 'type'],
      [2, 'import'],
      [3, 'function'],
      [4, 'table'],
      [5, 'memory'],
      [6, 'global'],
      [7, 'export'],
      [10, 'code'],
      [11, 'data segment'],
    ] as const) {
      assert.throws(
        () => readModule(Uint8Array.from([...HEADER, ...section(id, huge)])),
        (e: unknown) =>
          e instanceof WasmFormatError &&
          e.message.startsWith(`${what} count 4294967295 exceeds the remaining 0 bytes`) &&
          e.offset === HEADER.length + 2,
        `section ${id} (${what})`,
      );
    }
  });

  test('size mismatch and non-constant destination are rejected', () => {
    const wrongSize = [0x41, 0x00, 0x41, 0x00, 0x41, 0x08, 0xfc, 0x08, 0x00, 0x00, 0x0b];
    assert.throws(
      () => decodeInitMemory(readModule(initModule(wrongSize))),
      /copies 8 bytes but it holds 4/,
    );
    const local = [0x20, 0x00, 0x41, 0x00, 0x41, 0x04, 0xfc, 0x08, 0x00, 0x00, 0x0b];
    assert.throws(
      () => decodeInitMemory(readModule(initModule(local))),
      /destination is not a constant/,
    );
  });
});

describe('readImports (what an exec reads of a program)', () => {
  const str = (t: string): number[] => [t.length, ...Array.from(t, (c) => c.charCodeAt(0))];
  // A type section with () -> (), then imports: a function, a shared memory
  // (1 to 256 pages), and an exception tag of type 0.
  const types = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
  const imports = [
    ...[0x03],
    ...str('linux'),
    ...str('syscall'),
    0x00,
    0x00,
    ...str('env'),
    ...str('memory'),
    0x02,
    0x03,
    0x01,
    0x80,
    0x02,
    ...str('env'),
    ...str('__c_longjmp'),
    0x04,
    0x00,
    0x00,
  ];
  const module = (importPayload: number[]): Uint8Array =>
    new Uint8Array([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      ...types,
      0x02,
      importPayload.length,
      ...importPayload,
    ]);

  test('reads function, shared memory and tag imports, and nothing else', () => {
    const got = readImports(module(imports));
    assert.deepEqual(
      got.map((i) => [i.module, i.name, i.desc.kind]),
      [
        ['linux', 'syscall', 'func'],
        ['env', 'memory', 'memory'],
        ['env', '__c_longjmp', 'tag'],
      ],
    );
    assert.deepEqual(got[1]?.desc.kind === 'memory' && got[1].desc.limits, {
      initial: 1,
      maximum: 256,
      shared: true,
    });
  });

  test('a truncated import section is a WasmFormatError, not a crash', () => {
    assert.throws(() => readImports(module(imports.slice(0, -3))), WasmFormatError);
  });
});
