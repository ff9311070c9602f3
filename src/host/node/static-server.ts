/**
 * A tiny static file server for the e2e test, bench's page leg and `epoll-lab serve`:
 * serves a directory (plus files held in memory, e.g. the guest assets) on a
 * localhost port (random unless given) with the MIME types the app needs (application/wasm
 * above all), and nothing else — no compression, no Content-Encoding, so
 * the page must unpack its .gz assets itself as it would on any host.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  readonly url: string;
  /** Bytes sent, by request path. */
  readonly sent: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Files served from memory, by URL path (e.g. "/guest/guest-assets.json"), ahead of the directory. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /** Sent with every response, as a site's host would (README "Host the console yourself"). */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function serveStatic(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const sent = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      // One 200 for a held file and a file on disk alike: the site's headers, its type, its size.
      const ok = (name: string, size: number) => {
        res.writeHead(200, {
          ...options.headers,
          'Content-Type': MIME[path.extname(name)] ?? 'application/octet-stream',
          'Content-Length': size,
          'Cache-Control': 'no-cache',
        });
        sent.set(urlPath, (sent.get(urlPath) ?? 0) + size);
      };
      const held = options.files?.get(urlPath);
      if (held) {
        ok(urlPath, held.byteLength);
        return void res.end(held);
      }
      const file = path.join(root, urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath);
      if (!file.startsWith(root + path.sep)) return void res.writeHead(403).end();
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return void res.writeHead(404).end('not found');
      ok(file, info.size);
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    sent,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
