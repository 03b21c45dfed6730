// Placeholder: builds the first user program and the initramfs; written separately.
export interface UserlandArtifacts {
  initramfs: string;
}

export async function buildUserland(): Promise<UserlandArtifacts> {
  throw new Error('buildUserland: not implemented yet');
}
