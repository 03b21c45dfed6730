// Entry point of the browser's 9P server thread (src/core/ninep/local-server.ts):
// the persistent home in the origin-private file system (ninep/opfs-home.ts),
// or a tree in memory. It serves with runLocalServerAsync, since opening an
// OPFS file needs the event loop.

import type { NinePBackend } from '../core/ninep/backend.js';
import { inspectAsync, type InspectRequest, type InspectResult } from '../core/ninep/inspect.js';
import {
  runLocalServerAsync,
  type LocalServerInit,
  type ServerChores,
} from '../core/ninep/local-server.js';
import { Errno } from '../core/errno.js';
import { memoryBackend } from '../core/ninep/memory-backend.js';
import { openOpfsHome } from './ninep/opfs-home.js';

/** What the 9P server thread tells the page. */
export type NinePWorkerMessage =
  | { readonly kind: 'notice'; readonly text: string }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'inspected'; readonly id: number; readonly result: InspectResult };

/** What the page asks of it after the start: a look at the home (inspect.ts). */
export interface NinePInspectMessage {
  readonly kind: 'inspect';
  readonly id: number;
  readonly request: InspectRequest;
}

interface WorkerScope {
  postMessage(msg: NinePWorkerMessage): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void, opts?: { once: boolean }): void;
}

const scope = self as unknown as WorkerScope;

async function serve(init: LocalServerInit): Promise<never> {
  const backends: (NinePBackend | null)[] = [];
  const chores: ServerChores[] = [];
  let home: NinePBackend | null = null;
  for (const spec of init.exports) {
    if (spec?.kind === 'home') {
      try {
        const kept = await openOpfsHome(spec.name);
        home = kept.store;
        backends.push(kept.store);
        chores.push(kept);
      } catch (err) {
        // The machine still boots; the user is told their files will not stay.
        scope.postMessage({
          kind: 'notice',
          text: `the home cannot be kept here (${(err as Error).message}); files in it last until the page closes`,
        });
        home = memoryBackend();
        backends.push(home);
      }
    } else if (spec?.kind === 'memory') {
      backends.push(memoryBackend(spec.maxBytes === undefined ? {} : { maxBytes: spec.maxBytes }));
    } else {
      backends.push(null); // not local, or a host directory: none on a page
    }
  }
  // Looks at the home run between calls, when the serving loop waits.
  const store = home;
  scope.addEventListener('message', (e: MessageEvent) => {
    const { id, request } = e.data as NinePInspectMessage;
    const answer = (result: InspectResult): void =>
      scope.postMessage({ kind: 'inspected', id, result });
    if (store === null) return answer({ ok: false, errno: Errno.ENOENT });
    inspectAsync(store, request).then(
      (result) => {
        for (const c of chores) c.afterCall();
        answer(result);
      },
      () => answer({ ok: false, errno: Errno.EIO }),
    );
  });
  return runLocalServerAsync(init, backends, {
    afterCall: () => {
      for (const c of chores) c.afterCall();
    },
    idle: () => {
      for (const c of chores) c.idle();
    },
  });
}

scope.addEventListener(
  'message',
  (e: MessageEvent) => {
    serve(e.data as LocalServerInit).catch((err: unknown) =>
      scope.postMessage({
        kind: 'failed',
        message: err instanceof Error ? err.message : String(err),
      }),
    );
  },
  { once: true },
);
