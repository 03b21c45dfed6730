// Loading and checking vmlinux.wasm before anything runs, so that a bad file
// ends in a clear message instead of a trap deep inside the boot.

import {
  HOST_MODULE,
  KERNEL_ABI,
  KERNEL_EXPORT_FUNCTIONS,
  KERNEL_SYMBOLS,
  type KernelSymbols,
} from './abi.js';

export const LAYOUT_SECTION = 'wasmlinux.layout';

export class KernelImageError extends Error {
  override name = 'KernelImageError';
}

export interface KernelImage {
  module: WebAssembly.Module;
  symbols: KernelSymbols;
  /** Smallest memory the image fits in, in bytes. */
  minMemoryBytes: number;
  sizeBytes: number;
}

interface LayoutRecord {
  globals: Record<string, number>;
  memory: { initial: number };
  abi?: Record<string, number>;
}

/** A kernel built from other sources than this runtime would misread its memory. */
function checkAbi(layout: LayoutRecord, what: string): void {
  const abi = layout.abi;
  if (typeof abi !== 'object' || abi === null) {
    throw new KernelImageError(
      `${what} records no ABI values in its ${LAYOUT_SECTION} section: it is older than this runtime`,
    );
  }
  const wrong = Object.entries(KERNEL_ABI)
    .filter(([name, value]) => abi[name] !== value)
    .map(([name, value]) => `${name} is ${abi[name] ?? 'missing'} (this runtime: ${value})`);
  if (wrong.length > 0) {
    throw new KernelImageError(
      `${what} does not match this runtime (built from other sources?): ${wrong.join(', ')}`,
    );
  }
}

function parseLayout(bytes: ArrayBuffer): LayoutRecord {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new KernelImageError(`the ${LAYOUT_SECTION} section is not valid JSON`);
  }
  const rec = json as Partial<LayoutRecord>;
  if (typeof rec !== 'object' || rec === null || typeof rec.globals !== 'object') {
    throw new KernelImageError(`the ${LAYOUT_SECTION} section has no symbol table`);
  }
  return rec as LayoutRecord;
}

export async function loadKernelImage(
  bytes: Uint8Array<ArrayBuffer>,
  what = 'kernel image',
): Promise<KernelImage> {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) {
    throw new KernelImageError(`${what} is not a WebAssembly module (bad magic number)`);
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new KernelImageError(`${what} is not a valid WebAssembly module: ${msg}`);
  }
  return kernelImageFromModule(module, what, bytes.length);
}

/**
 * Check a compiled kernel (e.g. from WebAssembly.compileStreaming in a
 * browser) and read its layout: the same checks as loadKernelImage.
 */
export function kernelImageFromModule(
  module: WebAssembly.Module,
  what = 'kernel image',
  sizeBytes = 0,
): KernelImage {
  const sections = WebAssembly.Module.customSections(module, LAYOUT_SECTION);
  const section = sections[0];
  if (!section) {
    throw new KernelImageError(`${what} has no ${LAYOUT_SECTION} section: it was not post-linked`);
  }
  const layout = parseLayout(section);
  checkAbi(layout, what);

  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of KERNEL_EXPORT_FUNCTIONS) {
    if (!exports.has(name)) throw new KernelImageError(`${what} does not export ${name}`);
  }
  const imports = WebAssembly.Module.imports(module);
  if (!imports.some((i) => i.kind === 'memory' && i.module === 'env' && i.name === 'memory')) {
    throw new KernelImageError(`${what} does not import its memory as env.memory`);
  }
  const foreign = imports.filter((i) => i.kind === 'function' && i.module !== HOST_MODULE);
  if (foreign.length > 0) {
    const names = foreign.map((i) => `${i.module}.${i.name}`).join(', ');
    throw new KernelImageError(`${what} imports unknown functions: ${names}`);
  }

  const symbols = {} as KernelSymbols;
  for (const name of KERNEL_SYMBOLS) {
    const addr = layout.globals[name];
    if (typeof addr !== 'number') throw new KernelImageError(`${what} does not export ${name}`);
    symbols[name] = addr;
  }
  return {
    module,
    symbols,
    minMemoryBytes: (layout.memory?.initial ?? 0) * 65536,
    sizeBytes,
  };
}
