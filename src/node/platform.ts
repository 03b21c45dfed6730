// Node's side of the machine: worker_threads for workers.

import { Worker } from 'node:worker_threads';
import type { Platform, WorkerHandle } from '../core/machine.js';
import type { WorkerInit, WorkerMessage } from '../core/messages.js';

export function nodePlatform(workerUrl: URL): Platform {
  return {
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
