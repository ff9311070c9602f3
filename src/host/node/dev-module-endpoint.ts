/**
 * The development server's driver build endpoint (the Drivers panel's
 * Build under `npm start`). GET hands out guest/drivers/template's sources;
 * POST builds the sources it is sent with buildModule(), the same code as
 * `epoll-lab module build`, in a fresh directory with the template's own
 * Kbuild (never one from the request), and answers with the .ko or the
 * compiler's messages.
 *
 * It compiles what it is sent on this machine, so it answers only this
 * machine (a loopback peer), only a browser that holds the per-server token,
 * and for POST only a request whose Origin is this server on a loopback
 * name: a page elsewhere, or a rebound DNS name, has neither. The token
 * reaches only the person who started the server: it is in the address the
 * server prints in their terminal (`?token=…`), which tokenLink() trades for
 * an HttpOnly, SameSite=Strict cookie and a redirect to the same page
 * without it. The page itself never holds the token, so any other local
 * user who GETs it learns nothing.
 *
 * The build itself is confined (module-sandbox.ts: no file outside its
 * directory and the kernel tree, an unprivileged user) and limited (time,
 * memory per process, output), and it is killed when the client goes away.
 * One build at a time; a second is refused, not queued.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { REPO_ROOT } from '../../images/paths.js';
import {
  MODULE_BUILD_LIMITS,
  parseCompilerMessages,
  refuseSourceName,
  type DriverSourceFile,
  type DriverTemplateResponse,
  type ModuleBuildErrorResponse,
  type ModuleBuildRequest,
  type ModuleBuildResponse,
} from '../core/module-build-api.js';
import type { Logger } from '../core/logger.js';
import { debianKernel } from '../../images/kernel-sources.js';
import { loadManifest } from './images.js';
import { DRIVER_BUILD_LIMITS, SandboxUnavailableError, type ConfinedBuildLimits } from './module-sandbox.js';
import { buildModule, ModuleBuildError } from './modules.js';

export const TEMPLATE_DIR = path.join(REPO_ROOT, 'guest/drivers/template');

/** A fresh random token for one server's lifetime. */
export function newModuleBuildToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The query parameter of the address the server prints. */
export const TOKEN_PARAMETER = 'token';

/** The cookie that carries the token: per port, since cookies do not tell localhost's ports apart. */
export function tokenCookieName(port: number | undefined): string {
  return `epoll-lab-token-${port ?? 0}`;
}

/** The address to print for the person who started the server: the page's URL with the token. */
export function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set(TOKEN_PARAMETER, token);
  return u.href;
}

export interface ModuleBuildEndpointOptions {
  readonly token: string;
  readonly logger: Logger;
  /** Defaults to DRIVER_BUILD_LIMITS. */
  readonly limits?: ConfinedBuildLimits;
}

/** A refusal with its HTTP status; the message is the whole answer a person reads. */
class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The request handler: mount it at MODULE_BUILD_PATH. */
export function moduleBuildEndpoint(options: ModuleBuildEndpointOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let building = false;
  return async (req, res) => {
    try {
      checkCaller(req, options.token);
      if (req.method === 'GET') return send(res, 200, await templateSources());
      if (req.method !== 'POST') throw new Refusal(405, `${req.method} is not served here: GET the template, POST sources to build`);
      checkOrigin(req);
      const request = parseRequest(await readBody(req));
      const kernel = await kernelFor(request.release);
      if (building) throw new Refusal(409, 'a driver build is already running; wait for it to end, then build again');
      building = true;
      // A client that goes away (a closed tab, a client's own timeout) takes its build with it.
      const gone = new AbortController();
      const onClose = (): void => {
        if (!res.writableEnded) gone.abort();
      };
      res.once('close', onClose);
      try {
        const began = performance.now();
        const response = await buildSources(request.files, kernel, { limits: options.limits ?? DRIVER_BUILD_LIMITS, signal: gone.signal }, options.logger);
        const took = Math.round(performance.now() - began);
        if (gone.signal.aborted) {
          options.logger.info(`driver build for Linux ${request.release}: cancelled after ${took} ms, its client went away`);
          return;
        }
        options.logger.info(`driver build for Linux ${request.release}: ${response.built ? 'built' : 'compile errors'} in ${took} ms`);
        send(res, 200, response);
      } finally {
        res.off('close', onClose);
        building = false;
      }
    } catch (error) {
      if (error instanceof Refusal) return send(res, error.status, { error: error.message } satisfies ModuleBuildErrorResponse);
      if (error instanceof SandboxUnavailableError) {
        options.logger.error(`driver build refused: ${error.message}`);
        return send(res, 503, { error: `${error.message}${error.hint ? `; ${error.hint}` : ''}` } satisfies ModuleBuildErrorResponse);
      }
      options.logger.error(`driver build failed: ${(error as Error).message}`);
      send(res, 500, { error: (error as Error).message } satisfies ModuleBuildErrorResponse);
    }
  };
}

/**
 * Middleware for every page of the dev server: a request with `?token=`
 * gets the cookie (when the token is right) and a redirect to the same
 * address without it, so the token does not stay in the address bar or
 * the history. A wrong token is refused with one line that says what to open.
 */
export function tokenLink(token: string): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const given = url.searchParams.get(TOKEN_PARAMETER);
    if (given === null) return next();
    if (!isLoopback(req.socket.remoteAddress) || !sameSecret(given, token)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('This is not the token of this dev server: open the address `npm start` printed in its terminal (each start makes a new one).\n');
      return;
    }
    url.searchParams.delete(TOKEN_PARAMETER);
    res.writeHead(303, {
      Location: `${url.pathname}${url.search}`,
      'Set-Cookie': `${tokenCookieName(req.socket.localPort)}=${token}; Path=/; HttpOnly; SameSite=Strict`,
      'Cache-Control': 'no-store',
    });
    res.end();
  };
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token cookie's value from a Cookie header, if the request has one. */
function cookieToken(req: IncomingMessage): string {
  const name = tokenCookieName(req.socket.localPort);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return '';
}

function checkCaller(req: IncomingMessage, token: string): void {
  if (!isLoopback(req.socket.remoteAddress)) throw new Refusal(403, 'driver builds are served to this machine only');
  if (!sameSecret(cookieToken(req), token)) {
    throw new Refusal(403, 'this browser has not got the dev server\'s token: open the address `npm start` printed in its terminal (with ?token=…; each start makes a new one)');
  }
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(v4);
}

/** The Origin must be this very server (its port, its scheme) under a loopback name. */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const scheme = (req.socket as TLSSocket).encrypted ? 'https:' : 'http:';
  const own = `${scheme}//localhost:${req.socket.localPort}`;
  let url: URL | undefined;
  try {
    url = origin ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  const ok =
    url !== undefined &&
    url.protocol === scheme &&
    url.port === String(req.socket.localPort) &&
    ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) &&
    url.origin === origin;
  if (!ok) throw new Refusal(403, `Origin ${origin ?? '(none)'} is not this dev server (${own}); open the page from the URL \`npm start\` prints`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/.test(type)) throw new Refusal(415, `send the sources as application/json, not ${type || 'no Content-Type'}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MODULE_BUILD_LIMITS.bodyBytes) throw new Refusal(413, `the request is larger than ${MODULE_BUILD_LIMITS.bodyBytes / 1024} KiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseRequest(body: string): ModuleBuildRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new Refusal(400, 'the request is not JSON: send {"release": "…", "files": [{"name": "hello_poll.c", "text": "…"}]}');
  }
  const { release, files } = (value ?? {}) as Partial<Record<keyof ModuleBuildRequest, unknown>>;
  if (typeof release !== 'string' || !release) throw new Refusal(400, 'name the guest kernel: "release" is its `uname -r`');
  if (!Array.isArray(files) || files.length === 0) throw new Refusal(400, '"files" must list the sources to build');
  if (files.length > MODULE_BUILD_LIMITS.files) throw new Refusal(400, `at most ${MODULE_BUILD_LIMITS.files} files, not ${files.length}`);
  const seen = new Set<string>();
  const checked: DriverSourceFile[] = [];
  for (const file of files as unknown[]) {
    const { name, text } = (file ?? {}) as Partial<Record<keyof DriverSourceFile, unknown>>;
    if (typeof name !== 'string' || typeof text !== 'string') throw new Refusal(400, 'each file is {"name": string, "text": string}');
    const refused = refuseSourceName(name);
    if (refused) throw new Refusal(400, `${refused}; only C sources and headers are built here`);
    if (seen.has(name)) throw new Refusal(400, `${name} is sent twice`);
    if (Buffer.byteLength(text) > MODULE_BUILD_LIMITS.fileBytes) throw new Refusal(400, `${name} is larger than ${MODULE_BUILD_LIMITS.fileBytes / 1024} KiB`);
    seen.add(name);
    checked.push({ name, text });
  }
  return { release, files: checked };
}

/**
 * The image kernel whose `uname -r` is release: its tree is what the module
 * must be built against. A Debian kernel first: a user's tree of the same
 * source (`--kernel DIR`) has the same release, and the tab runs the
 * Debian images.
 */
async function kernelFor(release: string): Promise<string> {
  const kernels = Object.entries((await loadManifest()).kernels);
  const matches = kernels.filter(([, k]) => k.release === release);
  const match = matches.find(([name]) => debianKernel(name)) ?? matches[0];
  if (!match) {
    throw new Refusal(400, `no image kernel is Linux ${release}; images/manifest.json has ${kernels.map(([, k]) => k.release).join(', ') || 'none'}`);
  }
  return match[0];
}

/** The template's Kbuild and the sources it needs: `obj-m := NAME.o` builds NAME.c. */
async function templateKbuild(): Promise<{ text: string; required: string[] }> {
  const text = await fs.readFile(path.join(TEMPLATE_DIR, 'Kbuild'), 'utf8');
  const required = [...text.matchAll(/^obj-m\s*[:+]?=\s*(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).map((o) => o.replace(/\.o$/, '.c'));
  return { text, required };
}

async function templateSources(): Promise<DriverTemplateResponse> {
  const names = (await fs.readdir(TEMPLATE_DIR)).filter((n) => !refuseSourceName(n) && !n.startsWith('test_')).sort();
  return { files: await Promise.all(names.map(async (name) => ({ name, text: await fs.readFile(path.join(TEMPLATE_DIR, name), 'utf8') }))) };
}

async function buildSources(
  files: readonly DriverSourceFile[],
  kernel: string,
  confine: { limits: ConfinedBuildLimits; signal: AbortSignal },
  logger: Logger,
): Promise<ModuleBuildResponse> {
  const kbuild = await templateKbuild();
  const missing = kbuild.required.filter((name) => !files.some((f) => f.name === name));
  if (missing.length) throw new Refusal(400, `the template's Kbuild builds ${missing.join(', ')}; send it`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-driver-'));
  logger.debug(`driver build in ${dir}: started`);
  try {
    for (const file of files) await fs.writeFile(path.join(dir, file.name), file.text);
    await fs.writeFile(path.join(dir, 'Kbuild'), kbuild.text);
    const names = files.map((f) => f.name);
    try {
      const [ko, ...more] = await buildModule(dir, kernel, { confine });
      if (more.length) throw new Error(`the template's Kbuild built ${more.length + 1} modules; it should build one`);
      const name = path.basename(ko!);
      return { built: true, module: { name, base64: (await fs.readFile(ko!)).toString('base64') }, output: '' };
    } catch (error) {
      if (!(error instanceof ModuleBuildError)) throw error;
      // Paths as the person knows them: "hello_poll.c:12:5", not the temporary directory's.
      const output = (error.output || error.message).split(`${dir}/`).join('').split(dir).join('.');
      return { built: false, output, diagnostics: parseCompilerMessages(output, names) };
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
