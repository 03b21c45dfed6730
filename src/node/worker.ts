// Entry point of every Node worker: hands the platform's I/O to the core.

import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { CopyHelperInit, CopyHelperPort } from '../core/copy-helper.js';
import type { TaskAssignment, WorkerInit, WorkerMessage } from '../core/messages.js';
import { runWorker } from '../core/worker-runtime.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write all of bytes to fd synchronously, so guest output keeps its order
 * across workers and nothing is lost when the machine stops. A non-blocking
 * pipe may refuse with EAGAIN: wait a moment and retry.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** writeAll for guest streams: false (not an exception) when the reader is gone. */
function writeStream(fd: number, bytes: Uint8Array): boolean {
  try {
    writeAll(fd, bytes);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return false;
    throw err;
  }
}

/** A fork copy helper: a thread of this worker's own (copy-helper.cjs beside this file). */
function startCopyHelper(init: CopyHelperInit): CopyHelperPort {
  const helper = new Worker(join(__dirname, 'copy-helper.cjs'), { workerData: init });
  // Never keeps the process alive; a failing helper is only one that does
  // not claim its requests (the requester then copies alone).
  helper.unref();
  helper.on('error', () => undefined);
  return {
    post: (request) => helper.postMessage(request),
    terminate: () => void helper.terminate(),
  };
}

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');

runWorker(workerData as WorkerInit, {
  post: (msg: WorkerMessage) => port.postMessage(msg),
  onAssignment: (handler) => port.once('message', (a: TaskAssignment) => handler(a)),
  onAssignments: (handler) => port.on('message', (a: TaskAssignment) => handler(a)),
  writeConsole: (bytes) => writeAll(1, bytes),
  writeStream: (stream, bytes) => writeStream(stream, bytes),
  writeError: (text) => writeAll(2, new TextEncoder().encode(text)),
  startCopyHelper,
});
