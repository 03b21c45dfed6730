// Usage: tsx tools/wasm/postlink-cli.ts IN.wasm OUT.wasm --spec SPEC.json
//
// Prints a one-line summary on success; on any failure prints the error
// message and exits 1 so the kernel build stops at the broken image.

import { readFileSync, writeFileSync } from 'node:fs';
import { parsePostlinkSpec, postlink } from './postlink.js';

const USAGE = 'usage: postlink-cli IN.wasm OUT.wasm --spec SPEC.json';

interface Args {
  readonly input: string;
  readonly output: string;
  readonly spec: string;
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  let spec: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--spec') {
      spec = argv[++i];
      if (spec === undefined) throw new Error(`--spec needs a file\n${USAGE}`);
    } else if (a.startsWith('--spec=')) {
      spec = a.slice('--spec='.length);
    } else if (a.startsWith('-')) {
      throw new Error(`unknown option ${a}\n${USAGE}`);
    } else {
      positional.push(a);
    }
  }
  const [input, output] = positional;
  if (input === undefined || output === undefined || positional.length !== 2 || spec === undefined)
    throw new Error(USAGE);
  return { input, output, spec };
}

function main(argv: readonly string[]): number {
  try {
    const args = parseArgs(argv);
    const spec = parsePostlinkSpec(JSON.parse(readFileSync(args.spec, 'utf8')) as unknown);
    const result = postlink(new Uint8Array(readFileSync(args.input)), spec);
    writeFileSync(args.output, result.bytes);
    const m = result.layout.memory;
    console.log(
      `postlink: ${args.output}: ${result.layout.segments.length} segments, ` +
        `${Object.keys(result.regions).length} regions ok, ${Object.keys(result.layout.globals).length} address exports, ` +
        `memory ${m.initial}..${m.maximum ?? '-'} pages${m.shared ? ' shared' : ''}, table ${result.layout.tableSize}`,
    );
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    console.error(`postlink: ${msg}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
