// Entry point of a fork copy helper thread (src/core/copy-helper.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { type CopyHelperInit, type CopyRequest, runCopyHelper } from '../core/copy-helper.js';

const port = parentPort;
if (!port) throw new Error('copy-helper.ts must run as a worker thread');

runCopyHelper(workerData as CopyHelperInit, (handler) =>
  port.on('message', (r: CopyRequest) => handler(r)),
);
