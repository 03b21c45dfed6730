// Entry point of the 9P server thread (src/core/ninep/local-server.ts), with
// Node's storages: a host directory, or a tree in memory.

import { workerData } from 'node:worker_threads';
import { memoryBackend } from '../core/ninep/memory-backend.js';
import { runLocalServer, type LocalServerInit } from '../core/ninep/local-server.js';
import { NodeFsBackend } from './ninep/fs-backend.js';

runLocalServer(workerData as LocalServerInit, (spec) => {
  if (spec.kind === 'dir') return new NodeFsBackend(spec.root);
  if (spec.kind === 'memory')
    return memoryBackend(spec.maxBytes === undefined ? {} : { maxBytes: spec.maxBytes });
  throw new Error(`a ${spec.kind} export is served only in the browser`);
});
