// Node's side of the machine: worker_threads for workers.

import { Worker } from 'node:worker_threads';
import type { Platform, WorkerHandle } from '../core/machine.js';
import type { WorkerInit, WorkerMessage } from '../core/messages.js';

export function nodePlatform(workerUrl: URL): Platform {
  return {
    // x86 orders memory strongly enough for plain loads and stores to
    // stand in for smp_rmb(), smp_wmb(), acquire and release.
    totalStoreOrder: process.arch === 'x64' || process.arch === 'ia32',
    startWorker(
      init: WorkerInit,
      onMessage: (msg: WorkerMessage) => void,
      onError: (err: Error) => void,
    ): WorkerHandle {
      const worker = new Worker(workerUrl, { workerData: init });
      worker.on('message', (msg: WorkerMessage) => onMessage(msg));
      worker.on('error', onError);
      return {
        assign: (a) => worker.postMessage(a),
        terminate: () => void worker.terminate(),
      };
    },
  };
}
