// The browser's side of the machine: Web Workers, and the OutputRing that
// carries their console output to the page in order.

import type { Platform, WorkerHandle } from '../core/machine.js';
import type { WorkerInit, WorkerMessage } from '../core/messages.js';
import type { InspectResult } from '../core/ninep/inspect.js';
import type { NinePInspectMessage, NinePWorkerMessage } from './ninep-worker.js';
import type { BrowserWorkerStart } from './worker.js';

interface UserAgentData {
  getHighEntropyValues(hints: string[]): Promise<{ architecture?: string }>;
}

/**
 * Whether the CPU has total store order (Platform.totalStoreOrder): only
 * Chromium says which CPU it runs on (User-Agent Client Hints, "x86" or
 * "arm"); elsewhere the kernel keeps its fences.
 */
export async function hostHasTotalStoreOrder(): Promise<boolean> {
  const ua = (navigator as { userAgentData?: UserAgentData }).userAgentData;
  if (!ua) return false;
  try {
    const { architecture } = await ua.getHighEntropyValues(['architecture']);
    return architecture === 'x86';
  } catch {
    return false;
  }
}

/** The 9P server thread's script, and where what it says goes. */
export interface NinePServerScript {
  readonly url: URL;
  onNotice(text: string): void;
  onInspected(id: number, result: InspectResult): void;
}

/** The browser's Platform, which can also ask the 9P server thread for a look at the home. */
export interface BrowserPlatform extends Platform {
  /** Posts a request to the 9P server thread; false if it is not running. */
  inspectHome(message: NinePInspectMessage): boolean;
}

export function browserPlatform(
  workerUrl: URL,
  output: SharedArrayBuffer,
  agent: SharedArrayBuffer,
  totalStoreOrder: boolean,
  ninep: NinePServerScript,
): BrowserPlatform {
  let server: Worker | null = null;
  return {
    totalStoreOrder,
    startNinePServer(init, onGone) {
      const worker = new Worker(ninep.url, { type: 'module', name: '9p' });
      worker.onmessage = (e: MessageEvent) => {
        const msg = e.data as NinePWorkerMessage;
        if (msg.kind === 'notice') ninep.onNotice(msg.text);
        else if (msg.kind === 'inspected') ninep.onInspected(msg.id, msg.result);
        else onGone(new Error(msg.message));
      };
      worker.onerror = (e: ErrorEvent) => onGone(new Error(e.message || 'worker error'));
      worker.postMessage(init);
      server = worker;
      return {
        terminate: () => {
          server = null;
          worker.terminate();
        },
      };
    },
    inspectHome(message) {
      server?.postMessage(message);
      return server !== null;
    },
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
