// `npm start`: serve the web page (dist/web) on http://localhost:8080 with
// the headers that make it cross-origin isolated, which SharedArrayBuffer
// and so wasm threads need in a browser.
//
//   node dist/node/serve.js [--port 8080] [--host localhost] [--dir DIR] [--no-isolation]
//
// --no-isolation leaves the headers out, to see (and test) what the page
// says when a host does not send them.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.cpio': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** The headers every response needs for cross-origin isolation. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface ServeOptions {
  readonly dir: string;
  readonly port: number;
  readonly host: string;
  readonly isolation: boolean;
}

function handler(opts: ServeOptions) {
  const root = resolve(opts.dir);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string> = opts.isolation ? { ...ISOLATION_HEADERS } : {};
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, headers).end('bad request\n');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    // Never outside the directory, whatever the path says.
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end('forbidden\n');
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    // Unchanged since the browser's copy: 304, and it reuses what it has
    // (for the kernel, the compiled code too).
    const mtime = statSync(file).mtime;
    mtime.setMilliseconds(0);
    const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
    if (!Number.isNaN(since) && since >= mtime.getTime()) {
      res.writeHead(304, { ...headers, 'Last-Modified': mtime.toUTCString() }).end();
      return;
    }
    // The build's gzip copy, when the browser takes gzip.
    const gz = `${file}.gz`;
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && existsSync(gz);
    const body = gzip ? gz : file;
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(statSync(body).size),
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      Vary: 'Accept-Encoding',
      'Last-Modified': mtime.toUTCString(),
      // Revalidate, so a rebuilt kernel is picked up; the browser still caches.
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(body).pipe(res);
  };
}

/** Start serving; resolves with the URL once listening. */
export function serve(opts: ServeOptions): Promise<{ url: string; close: () => void }> {
  const server = createServer(handler(opts));
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      resolvePromise({ url: `http://${opts.host}:${port}/`, close: () => server.close() });
    });
  });
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: 'localhost' },
      dir: { type: 'string', default: resolve(here, '..', 'web') },
      'no-isolation': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`serve: --port ${values.port} is not a port number\n`);
    process.exit(2);
  }
  if (!existsSync(join(values.dir, 'index.html'))) {
    process.stderr.write(`serve: no index.html in ${values.dir}: run npm run build first\n`);
    process.exit(2);
  }
  try {
    const { url } = await serve({
      dir: values.dir,
      port,
      host: values.host,
      isolation: !values['no-isolation'],
    });
    process.stdout.write(`wasmlinux: serving ${values.dir} at ${url} (Ctrl-C stops)\n`);
  } catch (err) {
    process.stderr.write(
      `serve: cannot listen on ${values.host}:${port}: ${(err as Error).message}\n`,
    );
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
