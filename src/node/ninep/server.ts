// The 9P server of a host directory: the platform-neutral engine
// (src/core/ninep/engine.ts) over Node's fs (fs-backend.ts), which keeps
// every operation inside the directory.

import { NinePEngine } from '../../core/ninep/engine.js';
import { NodeFsBackend } from './fs-backend.js';

export interface NinePServerOptions {
  /** Host directory to export (a Buffer for a path that is not UTF-8). */
  readonly root: string | Buffer;
  readonly readOnly: boolean;
  /** Largest msize the server agrees to (default 1 MiB). */
  readonly maxMsize?: number;
  /** Byte-range lock records this server's client may hold (default 10 000). */
  readonly maxLocks?: number;
}

/** A 9P2000.L server for one connection (one mount) of a host directory. */
export class NinePServer extends NinePEngine {
  constructor(options: NinePServerOptions) {
    super({ ...options, backend: new NodeFsBackend(options.root) });
  }
}
