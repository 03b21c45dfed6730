// The toolchain every wasm build uses: stock clang-19 and wasm-ld-19.

import { runCapture } from './progress.js';

let cached: Promise<string> | null = null;

/** The compiler's and the linker's version lines, for cache keys. */
export function toolchainId(): Promise<string> {
  cached ??= (async () => {
    const cc = await runCapture('clang-19', ['--version']);
    const ld = await runCapture('wasm-ld-19', ['--version']);
    return `${cc.split('\n')[0] ?? ''}|${ld.trim()}`;
  })();
  return cached;
}
