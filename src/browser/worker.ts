// Entry point of every browser worker: the same core as Node's workers,
// with console output going through the shared OutputRing to the page.

import type { TaskAssignment, WorkerInit, WorkerMessage } from '../core/messages.js';
import { OutputRing } from '../core/output-ring.js';
import { runWorker } from '../core/worker-runtime.js';

/** The first message a browser worker gets (Node passes workerData instead). */
export interface BrowserWorkerStart {
  readonly init: WorkerInit;
  readonly output: SharedArrayBuffer;
}

interface WorkerScope {
  postMessage(msg: unknown): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
}

const scope = self as unknown as WorkerScope;

function start(e: MessageEvent): void {
  scope.removeEventListener('message', start);
  const { init, output } = e.data as BrowserWorkerStart;
  const ring = new OutputRing(output);
  runWorker(init, {
    post: (msg: WorkerMessage) => scope.postMessage(msg),
    onAssignment: (handler) => {
      const once = (m: MessageEvent): void => {
        scope.removeEventListener('message', once);
        handler(m.data as TaskAssignment);
      };
      scope.addEventListener('message', once);
    },
    writeConsole: (bytes) => ring.write(bytes),
    // The page has no separate stdout and stderr: both go to the terminal.
    writeStream: (_stream, bytes) => {
      ring.write(bytes);
      return true;
    },
    writeError: (text) => console.error(text),
  });
}

scope.addEventListener('message', start);
