/**
 * The built site as someone else would host it: `vite build` into a
 * directory of its own, served by the plain static file server
 * (src/host/node/static-server.ts: no Vite, no compression) with the
 * headers README "Host the console yourself" names: the page's
 * Content-Security-Policy as a header too, nosniff, application/wasm, and
 * no COOP/COEP (the app needs no cross-origin isolation). Each kernel the
 * site carries is opened by its ?kernel= link in a fresh browser context
 * (empty cache) and must reach a shell that runs `uname -r` on it.
 *
 * Skips only when the guest images are missing or stale, as browser.test.ts.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/host/node/chromium.js';
import { serveStatic, type StaticServer } from '../../src/host/node/static-server.js';
import { KERNEL_SERIES } from '../../src/images/kernel-sources.js';
import { GUEST_ASSETS_DIR, GUEST_KERNELS_FILE, type GuestKernelList } from '../../src/ui/shared/guest-assets.js';
import { PROMPT_MARK } from '../../src/ui/shared/page-marks.js';
import { collectPageProblems, terminalText } from './page-helpers.js';
import { buildSiteOrSkip } from './site-build.js';

let cannotBuild: string | undefined;
let site: string | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let policy: string;

beforeAll(async () => {
  const built = await buildSiteOrSkip();
  if ('cannotBuild' in built) {
    cannotBuild = built.cannotBuild;
    return;
  }
  site = built.site;
  // The policy is written once, in index.html's <meta>; the host repeats it as a header.
  const html = await readFile(path.join(site, 'index.html'), 'utf8');
  policy = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]!;
  server = await serveStatic(site, { headers: { 'Content-Security-Policy': policy, 'X-Content-Type-Options': 'nosniff' } });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (site) await rm(site, { recursive: true, force: true });
});

describe('the built site on a plain static file server', () => {
  it('boots each kernel it carries, by its ?kernel= link', { timeout: 300_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    const list = JSON.parse(await readFile(path.join(site!, GUEST_ASSETS_DIR, GUEST_KERNELS_FILE), 'utf8')) as GuestKernelList;
    // The images the tests build hold every kernel of the matrix, and the site carries each.
    expect(list.kernels.map((k) => k.kernel)).toEqual(KERNEL_SERIES);
    for (const entry of list.kernels) {
      const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        const problems: string[] = [];
        collectPageProblems(page, problems, { responses: true });
        const before = new Map(server!.sent);
        await page.goto(`${server!.url}?kernel=${entry.kernel}`);
        await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 90_000 });
        expect(await page.textContent('#fact-kernel')).toContain(entry.release);
        // Nothing here needs cross-origin isolation: no COOP/COEP was sent.
        expect(await page.evaluate('crossOriginIsolated')).toBe(false);
        await page.click('#terminal');
        await page.keyboard.type('uname -r\n');
        await expect.poll(() => terminalText(page), { timeout: 30_000 }).toMatch(new RegExp(`uname -r\\s*\\n${entry.release.replace(/\./g, '\\.')}\\s*\\n`));
        expect(problems).toEqual([]);
        const bytes = [...server!.sent].reduce((sum, [file, sent]) => sum + sent - (before.get(file) ?? 0), 0);
        ctx.annotate(`${entry.kernel} (Linux ${entry.release}): first visit downloaded ${(bytes / 1e6).toFixed(1)} MB`);
      } finally {
        await context.close();
      }
    }
  });
});
