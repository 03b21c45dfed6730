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
    startNinePServer(init, onGone) {
      // Beside the task worker's bundle (tools/build/runtime.ts).
      const worker = new Worker(new URL('./ninep-worker.cjs', workerUrl), { workerData: init });
      // The machine ends it; it never keeps the process alive by itself.
      worker.unref();
      worker.on('error', onGone);
      worker.on('exit', (code) => onGone(new Error(`it exited with status ${code}`)));
      return { terminate: () => void worker.removeAllListeners('exit').terminate() };
    },
  };
}
