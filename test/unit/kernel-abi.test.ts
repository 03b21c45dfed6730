// The runtime and the kernel agree on pt_regs offsets, interrupt lines and
// limits because the built image records the kernel's values (from
// arch/wasm/kernel/asm-offsets.c) and loading checks them against abi.ts.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { KERNEL_ABI, PT_REGS_SP } from '../../src/core/abi.js';
import { LAYOUT_SECTION, loadKernelImage } from '../../src/core/kernel-image.js';
import { readCustomSection, replaceCustomSection } from '../../tools/wasm/custom-section.js';
import { KERNEL } from '../helpers/guest.js';

/** The built image with its layout record changed by edit. */
function withLayout(
  bytes: Uint8Array<ArrayBuffer>,
  edit: (layout: Record<string, unknown>) => void,
): Uint8Array<ArrayBuffer> {
  const section = readCustomSection(bytes, LAYOUT_SECTION);
  assert.ok(section, 'the built kernel has a layout section');
  const layout = JSON.parse(new TextDecoder().decode(section)) as Record<string, unknown>;
  edit(layout);
  const payload = new TextEncoder().encode(JSON.stringify(layout));
  return new Uint8Array(replaceCustomSection(bytes, LAYOUT_SECTION, payload));
}

describe('kernel ABI values', { skip: !existsSync(KERNEL) && 'run `npm run build` first' }, () => {
  const bytes = (): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(KERNEL));

  test('the built kernel records every value the runtime relies on, and they agree', async () => {
    const section = readCustomSection(bytes(), LAYOUT_SECTION);
    const layout = JSON.parse(new TextDecoder().decode(section ?? new Uint8Array())) as {
      abi?: Record<string, number>;
    };
    assert.ok(layout.abi, 'layout section has an abi record');
    for (const [name, value] of Object.entries(KERNEL_ABI)) {
      assert.equal(layout.abi[name], value, `${name}: kernel vs src/core/abi.ts`);
    }
    await loadKernelImage(bytes());
  });

  test('a kernel whose pt_regs layout differs is refused, naming the value', async () => {
    const drifted = withLayout(bytes(), (l) => {
      (l['abi'] as Record<string, number>)['PT_REGS_SP'] = PT_REGS_SP + 4;
    });
    await assert.rejects(loadKernelImage(drifted), {
      name: 'KernelImageError',
      message: new RegExp(`PT_REGS_SP is ${PT_REGS_SP + 4} \\(this runtime: ${PT_REGS_SP}\\)`),
    });
  });

  test('a kernel that records no ABI values is refused', async () => {
    const old = withLayout(bytes(), (l) => delete l['abi']);
    await assert.rejects(loadKernelImage(old), { message: /records no ABI values/ });
  });
});
