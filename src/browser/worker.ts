// Entry point of every browser worker: the same core as Node's workers,
// with console output going through the shared OutputRing to the page.

import type { TaskAssignment, WorkerInit, WorkerMessage } from '../core/messages.js';
import { OutputRing } from '../core/output-ring.js';
import { runWorker } from '../core/worker-runtime.js';

/** The first message a browser worker gets (Node passes workerData instead). */
export interface BrowserWorkerStart {
  readonly init: WorkerInit;
  /** The console's OutputRing. */
  readonly output: SharedArrayBuffer;
  /** /dev/host_stdout's OutputRing: the agent's replies (agent-protocol.ts). */
  readonly agent: SharedArrayBuffer;
}

interface WorkerScope {
  postMessage(msg: unknown): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
}

const scope = self as unknown as WorkerScope;

function start(e: MessageEvent): void {
  scope.removeEventListener('message', start);
  const { init, output, agent } = e.data as BrowserWorkerStart;
  const ring = new OutputRing(output);
  const agentRing = new OutputRing(agent);
  runWorker(init, {
    post: (msg: WorkerMessage) => scope.postMessage(msg),
    onAssignment: (handler) => {
      const once = (m: MessageEvent): void => {
        scope.removeEventListener('message', once);
        handler(m.data as TaskAssignment);
      };
      scope.addEventListener('message', once);
    },
    onAssignments: (handler) => {
      scope.addEventListener('message', (m: MessageEvent) => handler(m.data as TaskAssignment));
    },
    writeConsole: (bytes) => ring.write(bytes),
    // /dev/host_stdout carries the agent's replies; /dev/host_stderr shows.
    writeStream: (stream, bytes) => {
      (stream === 1 ? agentRing : ring).write(bytes);
      return true;
    },
    writeError: (text) => console.error(text),
  });
}

scope.addEventListener('message', start);
