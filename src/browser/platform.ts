// The browser's side of the machine: Web Workers, and the OutputRing that
// carries their console output to the page in order.

import type { Platform, WorkerHandle } from '../core/machine.js';
import type { WorkerInit, WorkerMessage } from '../core/messages.js';
import type { BrowserWorkerStart } from './worker.js';

export function browserPlatform(
  workerUrl: URL,
  output: SharedArrayBuffer,
  agent: SharedArrayBuffer,
): Platform {
  return {
    startWorker(
      init: WorkerInit,
      onMessage: (msg: WorkerMessage) => void,
      onError: (err: Error) => void,
    ): WorkerHandle {
      const worker = new Worker(workerUrl, { type: 'module', name: init.role });
      worker.onmessage = (e: MessageEvent) => onMessage(e.data as WorkerMessage);
      worker.onerror = (e: ErrorEvent) => onError(new Error(e.message || 'worker error'));
      const start: BrowserWorkerStart = { init, output, agent };
      worker.postMessage(start);
      return {
        assign: (a) => worker.postMessage(a),
        terminate: () => worker.terminate(),
      };
    },
  };
}
