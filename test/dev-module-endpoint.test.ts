/**
 * The dev server's driver build endpoint over real HTTP, building against
 * the image's real kernel tree: who may ask (loopback, token, Origin), what
 * may be sent (.c/.h only, plain names), a compile error comes back at its
 * file and line, a good source comes back as the module, and that module
 * loads into a real guest where the image's own suite for it passes.
 */
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/host/core/logger.js';
import {
  MODULE_BUILD_TOKEN_HEADER,
  type DriverTemplateResponse,
  type ModuleBuildErrorResponse,
  type ModuleBuildResponse,
} from '../src/host/core/module-build-api.js';
import { readVermagic } from '../src/host/core/modules.js';
import { loadAndTestModule } from '../src/host/core/testing/module-test.js';
import { moduleBuildEndpoint, newModuleBuildToken, TEMPLATE_DIR } from '../src/host/node/dev-module-endpoint.js';
import { loadManifest } from '../src/host/node/images.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { DEFAULT_KERNEL } from '../src/images/kernel-sources.js';

const token = newModuleBuildToken();
let server: Server;
let port: number;
let origin: string;
let release: string;
let template: string;

beforeAll(async () => {
  release = (await loadManifest()).kernels[DEFAULT_KERNEL]!.release;
  template = await readFile(path.join(TEMPLATE_DIR, 'hello_poll.c'), 'utf8');
  const handle = moduleBuildEndpoint({ token, logger: silentLogger });
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://localhost:${port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** One request as a browser on this machine would send it, with headers overridable (undefined drops one). */
function ask<T>(method: string, body?: unknown, headers: Record<string, string | undefined> = {}): Promise<Answer<T>> {
  const sent: Record<string, string> = {};
  const all: Record<string, string | undefined> = {
    [MODULE_BUILD_TOKEN_HEADER]: token,
    ...(method === 'POST' && { origin, 'content-type': 'application/json' }),
    ...headers,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) sent[name] = value;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: '/', headers: sent }, (res) => {
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
    for (const headers of [{ [MODULE_BUILD_TOKEN_HEADER]: undefined }, { [MODULE_BUILD_TOKEN_HEADER]: `${token}x` }]) {
      const { status, body } = await build([{ name: 'hello_poll.c', text: template }], headers);
      expect(status).toBe(403);
      expect(body.error).toMatch(/missing or wrong x-epoll-lab-token: reload the page/);
    }
    for (const other of ['http://evil.example', `http://attacker.example:${port}`, `http://localhost:${port + 1}`, undefined]) {
      const { status, body } = await build([{ name: 'hello_poll.c', text: template }], { origin: other });
      expect(status, String(other)).toBe(403);
      expect(body.error).toContain(`is not this dev server (http://localhost:${port})`);
    }
    expect((await ask('GET', undefined, { [MODULE_BUILD_TOKEN_HEADER]: undefined })).status).toBe(403);
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
