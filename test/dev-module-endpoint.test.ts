/**
 * The dev server's driver build endpoint over real HTTP, building against
 * the image's real kernel tree: who may ask (loopback, the token's cookie,
 * Origin), what may be sent (.c/.h only, plain names), a compile error
 * comes back at its file and line, a good source comes back as the module,
 * and that module loads into a real guest where the image's own suite for
 * it passes. Then what a hostile caller tried (issue 24): reading files
 * through the compiler, and a build that never ends.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../src/host/core/logger.js';
import {
  MODULE_BUILD_META,
  MODULE_BUILD_PATH,
  type DriverTemplateResponse,
  type ModuleBuildErrorResponse,
  type ModuleBuildResponse,
} from '../src/host/core/module-build-api.js';
import { readVermagic } from '../src/host/core/modules.js';
import { loadAndTestModule } from '../src/host/core/testing/module-test.js';
import { moduleBuildEndpoint, newModuleBuildToken, TEMPLATE_DIR, tokenCookieName, tokenLink, type ModuleBuildEndpointOptions } from '../src/host/node/dev-module-endpoint.js';
import { DRIVER_BUILD_LIMITS } from '../src/host/node/module-sandbox.js';
import { moduleBuild } from '../src/ui/build/module-build-plugin.js';
import { loadManifest } from '../src/host/node/images.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { DEFAULT_KERNEL } from '../src/images/kernel-sources.js';

const token = newModuleBuildToken();
let server: Server;
let port: number;
let origin: string;
let cookie: string;
let release: string;
let template: string;

/** A dev server as the plugin makes it: the token link, the endpoint, and a page. */
async function serve(options: ModuleBuildEndpointOptions): Promise<{ server: Server; port: number }> {
  const handle = moduleBuildEndpoint(options);
  const link = tokenLink(options.token);
  const page = (_req: IncomingMessage, res: ServerResponse) => res.end(`<meta name="${MODULE_BUILD_META}" content="${MODULE_BUILD_PATH}">`);
  const server = createServer((req, res) => link(req, res, () => (req.url?.startsWith(MODULE_BUILD_PATH) ? void handle(req, res) : page(req, res))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

beforeAll(async () => {
  release = (await loadManifest()).kernels[DEFAULT_KERNEL]!.release;
  template = await readFile(path.join(TEMPLATE_DIR, 'hello_poll.c'), 'utf8');
  ({ server, port } = await serve({ token, logger: silentLogger }));
  origin = `http://localhost:${port}`;
  cookie = `${tokenCookieName(port)}=${token}`;
});

afterAll(() => close(server));

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** One request as a browser on this machine would send it, with headers overridable (undefined drops one). */
function ask<T>(method: string, body?: unknown, headers: Record<string, string | undefined> = {}, to = { port, cookie, origin }, signal?: AbortSignal): Promise<Answer<T>> {
  const sent: Record<string, string> = {};
  const all: Record<string, string | undefined> = {
    cookie: to.cookie,
    ...(method === 'POST' && { origin: to.origin, 'content-type': 'application/json' }),
    ...headers,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) sent[name] = value;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: to.port, method, path: MODULE_BUILD_PATH, headers: sent, ...(signal && { signal }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const build = (files: { name: string; text: string }[], headers?: Record<string, string | undefined>) =>
  ask<ModuleBuildResponse & ModuleBuildErrorResponse>('POST', { release, files }, headers);

describe('the dev server driver build endpoint', () => {
  it('hands out the template sources, .c and .h only, without its test', async () => {
    const { status, body } = await ask<DriverTemplateResponse>('GET');
    expect(status).toBe(200);
    expect(body.files.map((f) => f.name)).toEqual(['hello_poll.c']);
    expect(body.files[0]!.text).toBe(template);
  });

  it('refuses a request without the token, with a wrong one, or from another origin', async () => {
    const other = `${tokenCookieName(port + 1)}=${token}`;
    for (const headers of [{ cookie: undefined }, { cookie: `${cookie}x` }, { cookie: other }, { cookie: undefined, 'x-epoll-lab-token': token }]) {
      const { status, body } = await build([{ name: 'hello_poll.c', text: template }], headers);
      expect(status).toBe(403);
      expect(body.error).toMatch(/this browser has not got the dev server's token: open the address `npm start` printed/);
    }
    for (const other of ['http://evil.example', `http://attacker.example:${port}`, `http://localhost:${port + 1}`, undefined]) {
      const { status, body } = await build([{ name: 'hello_poll.c', text: template }], { origin: other });
      expect(status, String(other)).toBe(403);
      expect(body.error).toContain(`is not this dev server (http://localhost:${port})`);
    }
    expect((await ask('GET', undefined, { cookie: undefined })).status).toBe(403);
  });

  it('keeps the token out of every page: only the printed address has it, and trades it for an HttpOnly SameSite=Strict cookie', async () => {
    // What any local user gets from the server: the page, which marks the endpoint but holds no secret.
    const plugin = moduleBuild();
    const hook = plugin.transformIndexHtml as () => unknown;
    expect(JSON.stringify(hook())).toContain(MODULE_BUILD_META);
    const pluginToken = (globalThis as unknown as Record<symbol, string>)[Symbol.for('epoll-lab.module-build-token')]!;
    expect(JSON.stringify(hook())).not.toContain(pluginToken);
    const get = (url: string) =>
      new Promise<IncomingMessage & { text: string }>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: url }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Object.assign(res, { text: Buffer.concat(chunks).toString('utf8') })));
        }).on('error', reject).end();
      });
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.text).not.toContain(token);
    expect(page.headers['set-cookie']).toBeUndefined();

    const link = await get(`/?kernel=6.1&token=${token}`);
    expect(link.statusCode).toBe(303);
    expect(link.headers.location).toBe('/?kernel=6.1');
    expect(link.headers['set-cookie']).toEqual([`${cookie}; Path=/; HttpOnly; SameSite=Strict`]);
    const wrong = await get(`/?token=${token}x`);
    expect(wrong.statusCode).toBe(403);
    expect(wrong.text).toMatch(/^This is not the token of this dev server: open the address `npm start` printed/);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses anything but plain .c and .h names, and bad bodies, naming what was wrong', async () => {
    for (const name of ['Makefile', 'Kbuild', '../hello_poll.c', 'sub/x.h', 'run.sh', '.c', 'a..c']) {
      const { status, body } = await build([{ name: 'hello_poll.c', text: template }, { name, text: 'x' }]);
      expect(status, name).toBe(400);
      expect(body.error).toBe(`${JSON.stringify(name)} is not a plain .c or .h file name (letters, digits, "_", "-", "."; no paths); only C sources and headers are built here`);
    }
    expect((await build([{ name: 'other.c', text: template }])).body.error).toBe("the template's Kbuild builds hello_poll.c; send it");
    expect((await build(Array.from({ length: 17 }, (_, i) => ({ name: `f${i}.h`, text: '' })))).body.error).toBe('at most 16 files, not 17');
    expect((await build([{ name: 'hello_poll.c', text: 'x'.repeat(300 * 1024) }])).status).toBe(400);
    expect((await ask<ModuleBuildErrorResponse>('POST', 'not json')).body.error).toMatch(/^the request is not JSON/);
    expect((await ask<ModuleBuildErrorResponse>('POST', { release, files: [] }, { 'content-type': 'text/plain' })).status).toBe(415);
    const wrongKernel = await ask<ModuleBuildErrorResponse>('POST', { release: '2.6.32', files: [{ name: 'hello_poll.c', text: template }] });
    expect(wrongKernel.status).toBe(400);
    expect(wrongKernel.body.error).toContain(`no image kernel is Linux 2.6.32; images/manifest.json has`);
    expect((await ask<ModuleBuildErrorResponse>('PUT')).status).toBe(405);
  });

  it('returns a compile error at its file and line, in the names that were sent', async () => {
    const lines = template.split('\n');
    const at = lines.findIndex((l) => /^\s*poll_wait\(/.test(l)) + 1;
    lines[at - 1] = `${lines[at - 1]} no_such_call();`;
    const { status, body } = await build([{ name: 'hello_poll.c', text: lines.join('\n') }]);
    expect(status).toBe(200);
    if (body.built) throw new Error('a source with an undeclared call built');
    expect(body.output).not.toContain('epoll-lab-driver-');
    expect(body.diagnostics).toContainEqual(expect.objectContaining({ file: 'hello_poll.c', line: at, severity: 'error', message: expect.stringContaining('no_such_call') }));
  });

  it('builds the template into a module for the image kernel, which loads and passes its suite in a guest', async () => {
    const { status, body } = await build([{ name: 'hello_poll.c', text: template }]);
    expect(status).toBe(200);
    if (!body.built) throw new Error(`the template did not build:\n${body.output}`);
    const bytes = Buffer.from(body.module.base64, 'base64');
    expect(body.module.name).toBe('hello_poll.ko');
    expect([...bytes.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // \x7fELF
    expect(bytes[4]).toBe(1); // ELFCLASS32: i386
    expect(readVermagic(bytes)?.split(' ')[0]).toBe(release);

    const { guest } = await startGuest();
    try {
      const result = await loadAndTestModule(guest, { name: body.module.name, bytes });
      expect(result.load.loaded, result.load.output).toBe(true);
      expect(result.suite?.name).toBe('hello-poll');
      expect(result.suite?.cases.length).toBeGreaterThan(0);
      expect(result.suite?.cases.filter((c) => c.status !== 'pass')).toEqual([]);
      // A second load of a rebuilt module replaces the first.
      const again = await loadAndTestModule(guest, { name: body.module.name, bytes });
      expect(again.load.loaded, again.load.output).toBe(true);
    } finally {
      await guest.dispose();
    }
  });

  it('refuses a second build while one runs', async () => {
    const answers = await Promise.all([build([{ name: 'hello_poll.c', text: template }]), build([{ name: 'hello_poll.c', text: template }])]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error).toBe('a driver build is already running; wait for it to end, then build again');
  });
});

describe('what a hostile caller of the endpoint tried (issue 24)', () => {
  const withLine = (line: string) => `${template}\n${line}\n`;
  /** A header that includes itself twice: 2^200 inclusions, and cc1 grows without end (3.5 GB in 100 s, unlimited). */
  const bomb = [
    { name: 'hello_poll.c', text: withLine('#include "bomb.h"') },
    { name: 'bomb.h', text: '#include "bomb.h"\n#include "bomb.h"\n' },
  ];
  const serverOf = async (options: ModuleBuildEndpointOptions) => {
    const own = await serve(options);
    return { ...own, to: { port: own.port, cookie: `${tokenCookieName(own.port)}=${token}`, origin: `http://localhost:${own.port}` } };
  };
  /** The command lines of this machine's processes that name DIR. */
  const processesIn = (dir: string): string[] =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .flatMap((pid) => {
        try {
          return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')];
        } catch {
          return []; // it ended meanwhile
        }
      })
      .filter((line) => line.includes(dir));

  it('the compiler reads no file outside its directory and the kernel tree: .incbin and #include of /etc/shadow, or of a file beside its directory', { timeout: 120_000 }, async () => {
    // Root-only on the host; this test reads it only to prove that no line of it comes back.
    const shadow = (await readFile('/etc/shadow', 'utf8').catch(() => '')).split('\n').filter(Boolean);
    // Beside the build directory and readable by anyone: only the mount namespace keeps it out.
    const beside = await mkdtemp(path.join(os.tmpdir(), 'epoll-lab-beside-'));
    const secret = `not-for-the-caller-${newModuleBuildToken()}`;
    await writeFile(path.join(beside, 'secret'), `${secret}\n`, { mode: 0o644 });
    try {
      for (const file of ['/etc/shadow', path.join(beside, 'secret')]) {
        for (const line of [`__asm__(".incbin \\"${file}\\"");`, `#include "${file}"`]) {
          const { status, body } = await build([{ name: 'hello_poll.c', text: withLine(line) }]);
          expect(status, line).toBe(200);
          const seen = body.built ? Buffer.from(body.module.base64, 'base64').toString('latin1') : body.output;
          expect(body.built, line).toBe(false);
          expect(seen, line).toMatch(/No such file or directory|file not found/);
          expect(seen, line).not.toContain(secret);
          for (const entry of shadow) expect(seen, line).not.toContain(entry);
        }
      }
    } finally {
      await rm(beside, { recursive: true, force: true });
    }
  });

  it('a build that grows without end is stopped by its memory limit, or by its time limit, saying which', { timeout: 180_000 }, async () => {
    const memory = await serverOf({ token, logger: silentLogger, limits: { ...DRIVER_BUILD_LIMITS, memoryBytes: 256 * 1024 * 1024 } });
    try {
      const { status, body } = await ask<ModuleBuildResponse>('POST', { release, files: bomb }, {}, memory.to);
      expect(status).toBe(200);
      expect(body.built).toBe(false);
      expect(body.output).toMatch(/the compiler ran out of the 256 MiB of memory each process of a build may use$/);
    } finally {
      await close(memory.server);
    }
    const time = await serverOf({ token, logger: silentLogger, limits: { ...DRIVER_BUILD_LIMITS, seconds: 3 } });
    try {
      const { status, body } = await ask<ModuleBuildResponse>('POST', { release, files: bomb }, {}, time.to);
      expect(status).toBe(200);
      expect(body.built).toBe(false);
      expect(body.output).toMatch(/stopped: the build ran past its limit of 3 s$/);
    } finally {
      await close(time.server);
    }
  });

  it('a build whose client goes away is killed, leaves nothing behind, and the next build is not refused', { timeout: 180_000 }, async () => {
    let started!: (dir: string) => void;
    let cancelled!: () => void;
    const dirOf = new Promise<string>((resolve) => (started = resolve));
    const ended = new Promise<void>((resolve) => (cancelled = resolve));
    const logger: Logger = {
      ...silentLogger,
      debug: (message) => {
        const m = /^driver build in (\S+): started$/.exec(message);
        if (m) started(m[1]!);
      },
      info: (message) => {
        if (/: cancelled after \d+ ms, its client went away$/.test(message)) cancelled();
      },
    };
    const own = await serverOf({ token, logger });
    try {
      const client = new AbortController();
      const asked = ask('POST', { release, files: bomb }, {}, own.to, client.signal).catch((error: Error) => error);
      const dir = await dirOf;
      // Hang up once the compiler itself runs.
      await expect.poll(() => processesIn(dir).some((line) => /\bcc1 /.test(line)), { timeout: 60_000, interval: 50 }).toBe(true);
      client.abort();
      expect(await asked).toBeInstanceOf(Error);
      await ended;
      expect(processesIn(dir)).toEqual([]);
      await expect(stat(dir)).rejects.toThrow(/ENOENT/);
      const next = await ask<ModuleBuildResponse>('POST', { release, files: [{ name: 'hello_poll.c', text: template }] }, {}, own.to);
      expect(next.status).toBe(200);
      expect(next.body.built).toBe(true);
    } finally {
      await close(own.server);
    }
  });
});
