// Placeholder: the kernel build step (configure, make, link, post-link) is written separately.
export interface KernelArtifacts {
  vmlinux: string;
}

export async function buildKernel(tree: string): Promise<KernelArtifacts> {
  throw new Error(`buildKernel(${tree}): not implemented yet`);
}
