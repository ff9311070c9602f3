/**
 * The Drivers panel's own-driver card under the development server, in
 * real Chromium: the one e2e test that needs `npm start`'s server (the
 * driver build endpoint exists nowhere else), so it starts Vite's dev
 * server itself on a free localhost port. It edits the template in the
 * tab, sees a compile error land on its line, fixes it, and builds, loads
 * and tests the module in the tab's guest.
 *
 * Skips only when the guest images are missing or stale; needs Debian's
 * chromium (or CHROMIUM_PATH), as browser.test.ts does.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageMismatchError, UsageError } from '../../src/host/core/errors.js';
import { launchChromium } from '../../src/host/node/chromium.js';
import { loadImages } from '../../src/host/node/images.js';
import { PROMPT_MARK } from '../../src/ui/shared/page-marks.js';
import { collectPageProblems, terminalText } from './page-helpers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BROKEN = 'static int broken = ;';
const VERSION = 'MODULE_VERSION("edited-in-the-tab");';

let cannotRun: string | undefined;
let server: ViteDevServer | undefined;
let browser: Browser | undefined;
let page: Page;
let release: string;
const pageProblems: string[] = [];

beforeAll(async () => {
  try {
    release = (await loadImages()).release;
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ImageMismatchError)) throw error;
    cannotRun = `the dev server cannot serve the guest: ${error.message}${error.hint ? ` (${error.hint})` : ''}`;
    return;
  }
  // No file watching or HMR: what the page runs must not change under the test when files of the checkout do.
  server = await createServer({
    configFile: path.join(REPO, 'vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  collectPageProblems(page, pageProblems);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the browser app under the development server', () => {
  it('edits the driver template in the Drivers panel, shows a compile error at its line, then builds, loads and tests it in the tab', { timeout: 300_000 }, async (ctx) => {
    if (cannotRun) return ctx.skip(cannotRun);
    await page.goto(server!.resolvedUrls!.local[0]!);
    // A first dev start may make the guest assets (and a snapshot) before the page can restore.
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 240_000 });
    await expect.poll(() => page.getAttribute('html', 'data-stage'), { timeout: 60_000 }).toBe('ready');
    await page.click('#tab-drivers');
    const card = page.locator('[data-testid="driver-editor"]');
    const editor = card.locator('[data-testid="driver-source"] .cm-content');
    await expect.poll(() => editor.count(), { timeout: 30_000 }).toBe(1);
    const build = card.locator('[data-action="driver-build"]');
    const status = card.locator('[data-testid="driver-build-status"]');
    const finished = async () => {
      await expect.poll(() => status.getAttribute('data-phase'), { timeout: 180_000 }).toMatch(/^(compile-failed|load-failed|passed|failed|error)$/);
      return (await status.textContent())!;
    };

    // A line the compiler refuses, typed at the end of hello_poll.c.
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(`\n${BROKEN}`);
    await build.click();
    expect(await finished()).toBe('the build failed: 1 error marked in the editor');
    // The mark is on the line typed, and the compiler's words name it.
    expect(await card.locator('.cm-lintRange-error').allTextContents()).toEqual([BROKEN]);
    const line = Number(await card.locator('.cm-gutterElement', { has: page.locator('.cm-lint-marker-error') }).evaluate((marker) => {
      const top = marker.getBoundingClientRect().top;
      const numbers = [...marker.ownerDocument.querySelectorAll('.cm-lineNumbers .cm-gutterElement')];
      return numbers.find((n) => Math.abs(n.getBoundingClientRect().top - top) < 2)?.textContent ?? 'none';
    }));
    expect(await card.locator('[data-testid="driver-build-output"]').textContent()).toContain(`hello_poll.c:${line}:`);
    ctx.annotate(`compile error marked at hello_poll.c line ${line}`);

    // Fixed: the broken line (back in the editor, at its end) becomes one the guest can see once the module is in.
    await editor.click();
    await page.keyboard.press('Control+End');
    for (let i = 0; i < BROKEN.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type(VERSION);
    const began = Date.now();
    await build.click();
    const verdict = await finished();
    ctx.annotate(`build → load → test in ${Date.now() - began} ms: ${verdict}`);
    expect(verdict, (await card.locator('[data-testid="driver-build-output"]').textContent())!).toMatch(/^hello-poll: \d+ passed$/);
    expect(await card.locator('.cm-lintRange-error').count()).toBe(0);
    const cases = card.locator('[data-testid="driver-cases"] .case');
    expect(await cases.count()).toBeGreaterThan(0);
    expect(await card.locator('[data-testid="driver-cases"] .case:not([data-state="pass"])').count()).toBe(0);

    // The module in the guest is the one edited in the tab, built for the guest's kernel.
    await page.click('#terminal');
    await page.keyboard.type('cat /sys/module/hello_poll/version; uname -r\n');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(new RegExp(`\\nedited-in-the-tab\\n${release.replace(/\./g, '\\.')}\\n`));
    expect(pageProblems).toEqual([]);
  });
});
