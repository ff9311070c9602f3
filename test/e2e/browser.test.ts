/**
 * The browser app end to end, in real Chromium: build the site (always, so it
 * is never stale) into a directory of its own (site-build.ts), serve it from
 * a plain static server, and drive the page with playwright-core. Skips only when the site cannot be built because the
 * guest images are missing or stale (run `npm run build:images`).
 *
 * Each test loads the page afresh (openApp) and so depends on no other:
 * `npx vitest run test/e2e/browser.test.ts -t NAME` runs one alone.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`),
 * or CHROMIUM_PATH; no browser is ever downloaded.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/host/node/chromium.js';
import { GUEST_KERNELS_FILE, type GuestAssetsManifest, type GuestKernelList } from '../../src/ui/shared/guest-assets.js';
import { KERNEL_SERIES } from '../../src/images/kernel-sources.js';
import { PROMPT_MARK, READY_MARK } from '../../src/ui/shared/page-marks.js';
import { serveStatic, type StaticServer } from '../../src/host/node/static-server.js';
import { collectPageProblems, terminalText } from './page-helpers.js';
import { buildSiteOrSkip } from './site-build.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = path.join(REPO, 'test-results');
/** "suite/case" to run from the Tests panel; default: the first case of the first epoll suite. */
const WANTED_CASE = process.env['EPOLL_LAB_E2E_CASE'];

let cannotBuild: string | undefined;
/** The built site. */
let site: string | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let page: Page;
let assets: GuestAssetsManifest;
const pageProblems: string[] = [];

beforeAll(async () => {
  const built = await buildSiteOrSkip();
  if ('cannotBuild' in built) {
    cannotBuild = built.cannotBuild;
    return;
  }
  site = built.site;
  assets = JSON.parse(await readFile(path.join(site, 'guest', 'guest-assets.json'), 'utf8')) as GuestAssetsManifest;
  server = await serveStatic(site);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  collectPageProblems(page, pageProblems, { responses: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (site) await rm(site, { recursive: true, force: true });
});

describe('the browser app', () => {
  it('restores the snapshot to a shell prompt quickly', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    expect(assets.files.snapshot, 'the build should include the post-boot snapshot').toBeDefined();
    await openApp();
    const timings = await page.evaluate(
      ([ready, prompt]) => ({
        ready: performance.getEntriesByName(ready)[0]!.startTime,
        prompt: performance.getEntriesByName(prompt)[0]!.startTime,
      }),
      [READY_MARK, PROMPT_MARK] as const,
    );
    const sent = [...server!.sent].map(([file, bytes]) => `${file} ${(bytes / 1e6).toFixed(2)} MB`);
    ctx.annotate(`page load → ready ${Math.round(timings.ready)} ms, → prompt ${Math.round(timings.prompt)} ms; downloaded: ${sent.join(', ')}`);
    // The target is 1.5 s; this bound only catches gross regressions on a busy machine.
    expect(timings.prompt, 'page load to shell prompt, ms').toBeLessThan(5_000);
    // The kernel and initramfs are not needed to restore a snapshot.
    expect([...server!.sent.keys()].some((file) => /bzImage|initramfs/.test(file))).toBe(false);
    expect(await page.textContent('#status-stage')).toBe('ready');
    expect(await page.textContent('#fact-kernel')).toContain(assets.release);
    await expect.poll(() => terminalText(page)).toMatch(/[#$]$/m);
  });

  it('runs uname -r typed into the terminal', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    await page.click('#terminal');
    await page.keyboard.type('uname -r\n');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(new RegExp(`uname -r\\s*\\n${escape(assets.release)}\\s*\\n`));
  });

  it('tells the guest tty the size xterm fitted, so full-screen programs draw right', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    const [cols, rows] = (await page.textContent('#terminal-size'))!.split('×');
    await page.click('#terminal');
    await page.keyboard.type('stty size\n');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(new RegExp(`stty size\\s*\\n${rows} ${cols}\\n`));
  });

  it('shows the guest agent epoll instance in the inspector', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    await page.click('#tab-inspector');
    const picker = page.locator('[data-testid="process-picker"]');
    await expect.poll(() => picker.locator('option', { hasText: 'epoll-lab-agent' }).count(), { timeout: 20_000 }).toBe(1);
    const agent = await picker.locator('option', { hasText: 'epoll-lab-agent' }).getAttribute('value');
    await picker.selectOption(agent!);
    const rows = page.locator('.epoll-instance .tfd-row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('.epoll-instance h3').first().textContent()).toContain('anon_inode:[eventpoll]');
    expect(await rows.first().locator('.flag').allTextContents()).toEqual(expect.arrayContaining(['ERR', 'HUP']));
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'browser.png') });
  });

  it('runs one conformance case from the Tests panel', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    await page.click('#tab-tests');
    const summary = page.locator('[data-testid="tests-summary"]');
    await expect.poll(() => summary.textContent(), { timeout: 60_000 }).toMatch(/suites? ·|suites\.json|could not|no /);
    // A listing that failed is a failure, not a reason to skip.
    expect(await page.locator('.suite').count(), `the Tests panel listed no suites: ${await summary.textContent()}`).toBeGreaterThan(0);
    const [suiteName, caseName] = WANTED_CASE?.split('/') ?? [];
    const suite = suiteName
      ? page.locator(`.suite[data-suite="${suiteName}"]`)
      : page.locator('.suite').filter({ has: page.locator('.suite-name', { hasText: /epoll/ }) }).first();
    const row = caseName ? suite.locator(`.case[data-case="${caseName}"]`) : suite.locator('.case').first();
    await row.locator('.case-run').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 90_000 }).toMatch(/^(pass|fail|skip|not-run)$/);
    ctx.annotate(`ran ${await row.getAttribute('data-case')}: ${await row.getAttribute('data-state')}`);
    expect(await row.getAttribute('data-state')).toBe('pass');
  });

  it('runs the echo workload in the Workloads panel, round by round', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    expect(assets.files.workloads, 'the build should include the workloads layer (pretest builds it)').toBeDefined();
    await openApp();
    await page.click('#tab-workloads');
    const panel = page.locator('#panel-workloads');
    await panel.locator('select[name="workload"]').selectOption('echo');
    await panel.locator('input[name="clients"]').fill('2');
    await panel.locator('input[name="clients"]').dispatchEvent('change');
    await panel.locator('input[name="requests"]').fill('40');
    await panel.locator('input[name="requests"]').dispatchEvent('change');
    // Checking that it works, not measuring: one short warm-up batch.
    await panel.locator('select[name="warmup"]').selectOption('brief');
    await panel.locator('[data-action="run-workload"]').click();
    const step = panel.locator('[data-testid="workload-step"]');
    // The layer downloads and unpacks, the server starts, then 8 rounds of 5 messages.
    await expect.poll(() => step.textContent(), { timeout: 180_000 }).toMatch(/^(done|the run failed)/);
    const error = panel.locator('[data-testid="workload-error"]');
    expect(await error.count() ? await error.textContent() : '').toBe('');
    expect(await step.textContent()).toContain('epoll-echo-server answered correctly and stopped cleanly');
    expect(await panel.locator('.chart-bar').count()).toBe(8);
    expect(await panel.locator('.chart-warmup').count()).toBe(1);
    const total = await panel.locator('[data-testid="workload-total"] td').allTextContents();
    expect(total[0]).toBe('all rounds');
    expect(total[1]).toBe('40');
    expect(Number(total[2]!.replace(/,/g, ''))).toBeGreaterThan(0);
    ctx.annotate(`echo in the browser guest: ${total[2]} ops/s, p50 ${total[3]}, p99 ${total[4]}`);
    await page.screenshot({ path: path.join(RESULTS, 'workloads.png') });
  });

  it('shows a kernel crash with its log, and Reset brings back a clean guest', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    const banner = await failAfterTyping('touch /tmp/dirty; echo c > /proc/sysrq-trigger\n', 'The guest kernel crashed');
    expect(await banner.locator('pre').textContent()).toContain('sysrq triggered crash');
    expect(await page.textContent('#status-stage')).toBe('failed');

    const began = Date.now();
    await resetFrom(banner);
    ctx.annotate(`reset to ready in ${Date.now() - began} ms`);
    await page.click('#terminal');
    await page.keyboard.type('ls /tmp/dirty || echo clean-guest\n');
    await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(/^clean-guest$/m);
  });

  it('shows a guest that shut itself down, and Reset brings it back', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    const banner = await failAfterTyping('poweroff -f\n', 'The guest shut down');
    expect(await banner.locator('.failure-message').textContent()).toMatch(/the guest (halted|powered off)/);
    await resetFrom(banner);
  });

  it('shows the latest benchmark plots in the Performance panel', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    await page.click('#tab-performance');
    const plot = page.locator('#panel-performance figure img').first();
    await expect.poll(() => plot.evaluate((img) => { const image = img as unknown as { complete: boolean; naturalWidth: number }; return image.complete ? image.naturalWidth : 0; }), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.textContent('#panel-performance')).toMatch(/Pipe ping-pong through epoll_wait: [\d.]+ µs natively/);
  });

  it('switches the guest to each other kernel from the header picker', { timeout: 300_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    const list = JSON.parse(await readFile(path.join(site!, 'guest', GUEST_KERNELS_FILE), 'utf8')) as GuestKernelList;
    const picker = page.locator('#kernel-picker');
    expect(await picker.isVisible()).toBe(list.kernels.length > 1);
    // npm test builds every kernel of the matrix, and the site offers each.
    expect(list.kernels.map((k) => k.kernel)).toEqual(KERNEL_SERIES);
    for (const entry of list.kernels.filter((k) => k.kernel !== list.default)) {
      const began = Date.now();
      await picker.selectOption(entry.kernel);
      await expect.poll(() => page.textContent('#fact-kernel'), { timeout: 120_000 }).toContain(entry.release);
      await expect.poll(() => page.getAttribute('html', 'data-stage'), { timeout: 60_000 }).toBe('ready');
      expect(new URL(page.url()).searchParams.get('kernel')).toBe(entry.kernel);
      await page.click('#terminal');
      await page.keyboard.type('uname -r\n');
      await expect.poll(() => terminalText(page), { timeout: 20_000 }).toMatch(new RegExp(`uname -r\\s*\\n${escape(entry.release)}\\s*\\n`));
      ctx.annotate(`picked ${entry.kernel}: Linux ${entry.release} ready in ${Date.now() - began} ms`);
    }
    // Only the picked kernels' snapshots were downloaded, never a kernel or initramfs.
    expect([...server!.sent.keys()].some((file) => /bzImage|initramfs/.test(file))).toBe(false);
  });

  it('traces the lt-et demo in the Trace panel: live events, the ready list and its LT re-queue drawn, a scrubber', { timeout: 240_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    await page.click('#tab-trace');
    const panel = page.locator('#panel-trace');
    const demo = panel.locator('[data-demo="lt-et"]');
    await expect.poll(() => demo.isEnabled(), { timeout: 60_000 }).toBe(true);
    const began = Date.now();
    await demo.click();
    const status = panel.locator('[data-testid="trace-status"]');
    // Events are listed as they arrive.
    const rows = panel.locator('[data-testid="trace-events"] li');
    await expect.poll(() => rows.count(), { timeout: 120_000 }).toBeGreaterThan(0);
    ctx.annotate(`the first events were listed at: ${await status.textContent()}`);
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/: exit \d+|killed|timed out|failed/);
    ctx.annotate(`lt-et traced in ${Date.now() - began} ms: ${await status.textContent()}`);
    expect(await status.textContent()).toMatch(/^epoll-demo lt-et: exit 0 · \d+ events$/);
    expect(await panel.locator('[data-testid="trace-output"]').textContent()).toContain('level-triggered: 1 event, then again 1');

    // A callback puts an item on the ready list…
    const joined = panel.locator('.trace-event[data-kind="callback"]', { hasText: '→ ready list' }).first();
    await joined.locator('button').click();
    expect(await panel.locator('.ep-entry[data-list="ready list"][data-effect="joined-ready"]').count()).toBe(1);
    // …and after epoll_wait copied the level-triggered one out, ep_done_scan puts it back: re-queued (LT).
    const requeue = panel.locator('.trace-event[data-kind="transfer-done"]', { hasText: /re-queued \(LT\): ep\d+\.i\d+/ }).first();
    await requeue.locator('button').click();
    const position = panel.locator('[data-testid="trace-position"]');
    const at = Number(/event (\d+) of/.exec((await position.textContent())!)![1]);
    const requeued = panel.locator('.ep-entry[data-list="ready list"][data-effect="requeued"]');
    expect(await requeued.count()).toBe(1);
    expect(await requeued.locator('.ep-badge').textContent()).toBe('re-queued (LT)');
    expect(await panel.locator('[data-testid="trace-current"]').textContent()).toContain('re-queued on the ready list (level-triggered, still ready)');

    // One step back is the transfer itself: the item is being copied out, the ready list it left is empty of it.
    await panel.locator('[data-step="back"]').click();
    expect(await position.textContent()).toContain(`event ${at - 1} of`);
    const card = panel.locator('.ep-card').filter({ has: page.locator('.ep-entry[data-list="transfer"]') });
    expect(await card.count()).toBe(1);
    expect(await card.locator('.ep-entry[data-list="ready list"]').count()).toBe(0);
    // The scrubber's start is before any epoll instance existed.
    await panel.locator('[data-testid="trace-scrubber"]').fill('0');
    expect(await panel.locator('.ep-card').count()).toBe(0);
    // Every drawn object leads to the event that last changed it: after the epoll_wait returned, the re-queued entry leads to the ep_done_scan.
    const [, item, ep] = /re-queued \(LT\): ((ep\d+)\.i\d+)/.exec((await requeue.textContent())!)!;
    await panel.locator('[data-testid="trace-scrubber"]').fill(String(at + 1));
    await panel.locator(`.ep-card[data-ep="${ep}"] .ep-entry[data-list="ready list"][data-item="${item}"]`).click();
    expect(await position.textContent()).toContain(`event ${at} of`);
    await requeue.locator('button').click();
    // The screenshot: the drawing at the re-queue, the scrubber at the top of the pane.
    await panel.locator('[data-testid="trace-scrubber"]').evaluate((range) => range.scrollIntoView({ block: 'start' }));
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'trace.png') });
    // With the console collapsed the pane has room for two instances, and draws them side by side.
    await page.locator('#console-toggle').click();
    try {
      const boxes = await panel.locator('.ep-card').evaluateAll((cards) => cards.map((card) => card.getBoundingClientRect().top));
      expect(boxes.length).toBe(2);
      expect(boxes[1]).toBe(boxes[0]);
      await page.screenshot({ path: path.join(RESULTS, 'trace-wide.png') });
    } finally {
      await page.locator('#console-toggle').click();
    }
  });

  it('compiles and runs a Playground example in the guest, and shows its output and exit status', { timeout: 300_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    expect(assets.files.compiler, 'the build should include the compiler layer (pretest builds it)').toBeDefined();
    const panel = await openPlayground();
    await expect.poll(() => panel.locator('[data-action="playground-run"]').isEnabled(), { timeout: 20_000 }).toBe(true);
    await panel.locator('select[name="example"]').selectOption('level-vs-edge');
    expect(await editorText()).toContain('Level- vs edge-triggered on one pipe.');
    const began = Date.now();
    await panel.locator('[data-action="playground-run"]').click();
    const status = panel.locator('[data-testid="playground-status"]');
    // The first run downloads and unpacks the compiler layer, then compiles.
    await expect.poll(() => status.textContent(), { timeout: 240_000 }).toMatch(/^(exited|killed|stopped|the compiler refused|the run failed)/);
    ctx.annotate(`level-vs-edge, first run (layer download + unpack + compile + run): ${Date.now() - began} ms; ${await status.textContent()}`);
    expect(await panel.locator('[data-testid="playground-compiler-output"]').textContent()).toBe('');
    expect(await status.textContent()).toMatch(/^exited with status 0; compiled in /);
    const output = await panel.locator('[data-testid="playground-output"]').textContent();
    expect(output).toMatch(/after writing 1 byte: +level-triggered: 1 +edge-triggered: 1/);
    expect(output).toMatch(/asked again, nothing read: +level-triggered: 1 +edge-triggered: 0/);
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'playground.png') });
  });

  it("marks the compiler's error at its line in the Playground editor", { timeout: 300_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    const panel = await openPlayground();
    await expect.poll(() => panel.locator('[data-action="playground-run"]').isEnabled(), { timeout: 20_000 }).toBe(true);
    // Line 4 names an undeclared variable; tcc's "file:4: error: …" must land there.
    await setEditorText('#include <stdio.h>\nint main(void)\n{\n\tint x = no_such_variable;\n\treturn x;\n}\n');
    await panel.locator('[data-action="playground-run"]').click();
    const status = panel.locator('[data-testid="playground-status"]');
    await expect.poll(() => status.textContent(), { timeout: 240_000 }).toMatch(/^(exited|killed|stopped|the compiler refused|the run failed)/);
    expect(await status.textContent()).toMatch(/^the compiler refused the program \(1 error, marked in the editor\); nothing ran/);
    expect(await panel.locator('[data-testid="playground-compiler-output"]').textContent()).toMatch(/:4: error: .*no_such_variable/);
    const lines = panel.locator('.cm-line');
    expect(await lines.nth(3).locator('.cm-lintRange-error').count()).toBe(1);
    expect(await panel.locator('.cm-lintRange-error').count()).toBe(1);
    expect(await panel.locator('.cm-gutter-lint .cm-lint-marker-error').count()).toBe(1);
  });

  it('restores a Playground program from its share link', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    const panel = await openPlayground();
    const program = '/* shared: Grüße 🐧 */\n#include <stdio.h>\nint main(void)\n{\n\tputs("from a link");\n\treturn 0;\n}';
    await setEditorText(program);
    await panel.locator('[data-action="playground-share"]').click();
    const link = await panel.locator('[data-testid="playground-link"]').inputValue();
    expect(link).toMatch(/#playground\/1\.[A-Za-z0-9_-]+$/);
    // A fresh page load of the link (from the same URL, goto would only move to the fragment).
    await page.goto('about:blank');
    await page.goto(link);
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 60_000 });
    expect(await page.getAttribute('#tab-playground', 'aria-selected')).toBe('true');
    await expect.poll(() => editorText(), { timeout: 20_000 }).toBe(program);
    expect(await page.locator('#panel-playground [data-testid="playground-share-note"]').textContent()).toMatch(/^Opened a shared program/);
  });

  it('drags the split between the console and the panels, keeps it after a reload, and moves it by keyboard', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    const split = page.locator('#split');
    const consolePane = page.locator('#console-pane');
    const workspace = (await page.locator('#workspace').boundingBox())!;
    const grip = (await split.boundingBox())!;
    // Drag the separator to 40% of the workspace.
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(workspace.x + workspace.width * 0.4, grip.y + grip.height / 2, { steps: 8 });
    await page.mouse.up();
    const dragged = Number(await split.getAttribute('aria-valuenow'));
    expect(dragged).toBeCloseTo(40, 0);
    const widthBefore = (await consolePane.boundingBox())!.width;
    await page.reload();
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 60_000 });
    expect(Number(await split.getAttribute('aria-valuenow'))).toBe(dragged);
    expect((await consolePane.boundingBox())!.width).toBeCloseTo(widthBefore, 0);
    // The keyboard moves it too: arrows, Home and End; double-click resets it.
    await split.focus();
    await page.keyboard.press('ArrowRight');
    expect(Number(await split.getAttribute('aria-valuenow'))).toBe(Math.round((dragged + 2) * 10) / 10);
    await page.keyboard.press('Home');
    expect(await split.getAttribute('aria-valuenow')).toBe(await split.getAttribute('aria-valuemin'));
    // Enter collapses the console to a strip that shows its last line, and brings it back.
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#workspace', 'data-console')).toBe('strip');
    const strip = page.locator('#console-strip');
    expect(await page.locator('#terminal').isVisible()).toBe(false);
    expect(await strip.textContent()).toMatch(/[#$]$/);
    await page.locator('#console-toggle').click();
    expect(await page.getAttribute('#workspace', 'data-console')).toBe('open');
    await split.dblclick();
    expect(await split.getAttribute('aria-valuenow')).toBe('58');
  });

  it('stacks the panels below the console in a window under 900 px', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await page.setViewportSize({ width: 820, height: 900 });
    try {
      await openApp();
      const consoleBox = (await page.locator('#console-pane').boundingBox())!;
      const panelsBox = (await page.locator('.side-pane').boundingBox())!;
      expect(panelsBox.y).toBeGreaterThanOrEqual(consoleBox.y + consoleBox.height);
      expect(await page.locator('#split').isVisible()).toBe(false);
      await mkdir(RESULTS, { recursive: true });
      await page.screenshot({ path: path.join(RESULTS, 'narrow.png') });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('gives the Playground the whole width while editing, so the longest example line shows uncut at 1440 px', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    const examples = path.join(REPO, 'guest', 'playground', 'examples');
    // The longest line of all examples, as the editor draws it (tabs eight wide).
    let longest = { example: '', line: '', columns: 0 };
    for (const file of await readdir(examples)) {
      for (const line of (await readFile(path.join(examples, file), 'utf8')).split('\n')) {
        const columns = line.replace(/^\t+/, (tabs) => ' '.repeat(tabs.length * 8)).length;
        if (columns > longest.columns) longest = { example: file.replace(/\.c$/, ''), line, columns };
      }
    }
    const panel = await openPlayground();
    expect(await page.getAttribute('#workspace', 'data-console')).toBe('open');
    // Picking an example asks for the whole width, as clicking into the editor does.
    await panel.locator('select[name="example"]').selectOption(longest.example);
    await expect.poll(() => page.getAttribute('#workspace', 'data-console')).toBe('strip');
    await page.click('#panel-playground .cm-content');
    // Bring the line into the editor's viewport (CodeMirror draws only what is near it).
    const row = panel.locator('.cm-line', { hasText: longest.line.trim() });
    const scroller = panel.locator('.cm-scroller');
    await scroller.evaluate((element) => { (element as unknown as { scrollTop: number }).scrollTop = 0; });
    for (let step = 0; (await row.count()) === 0 && step < 40; step++) {
      await scroller.evaluate((element) => {
        const box = element as unknown as { scrollTop: number; clientHeight: number };
        box.scrollTop += box.clientHeight / 2;
      });
    }
    await row.waitFor({ timeout: 5_000 });
    await row.scrollIntoViewIfNeeded();
    const fits = await scroller.evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
    ctx.annotate(`${longest.example}: ${longest.columns} columns; editor ${fits.client} px wide, content ${fits.scroll} px`);
    expect(fits.scroll, 'the editor scrolls sideways: a line is cut').toBeLessThanOrEqual(fits.client);
    const rowRight = (await row.evaluate((line) => line.getBoundingClientRect().right));
    const scrollerRight = (await scroller.evaluate((element) => element.getBoundingClientRect().left + element.clientWidth));
    expect(rowRight).toBeLessThanOrEqual(scrollerRight);
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'playground-wide.png') });
    // Another tab gives the console its room back.
    await page.click('#tab-tests');
    expect(await page.getAttribute('#workspace', 'data-console')).toBe('open');
  });

  it('reaches every panel by keyboard (ARIA tabs) and axe-core finds no serious or critical violation on them', { timeout: 120_000 }, async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    await openApp();
    // axe comes in under the test only, through the DevTools protocol (the page's CSP would refuse a script tag).
    await page.evaluate(await readFile(path.join(REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
    const tabs = page.locator('[role="tab"]');
    const count = await tabs.count();
    await page.locator('[role="tab"][aria-selected="true"]').focus();
    await page.keyboard.press('Home');
    const found: string[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) await page.keyboard.press('ArrowRight');
      const tab = tabs.nth(i);
      expect(await tab.getAttribute('aria-selected')).toBe('true');
      expect(await tab.evaluate((element) => element.matches(':focus'))).toBe(true);
      // Only the selected tab is a Tab stop; Tab goes on into its panel.
      expect(await tabs.evaluateAll((all) => all.filter((t) => t.getAttribute('tabindex') === '0').length)).toBe(1);
      const panelId = (await tab.getAttribute('aria-controls'))!;
      expect(await page.locator(`#${panelId}`).isVisible()).toBe(true);
      // Panels that fill in from the guest (Tests, Inspector) are checked as they first draw.
      const violations = await page.evaluate<string[]>(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
        result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => v.impact + ' ' + v.id + ' (' + v.help + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
      found.push(...violations.map((v) => `${panelId}: ${v}`));
    }
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>(`document.activeElement?.closest('[role="tabpanel"]')?.id`)).toBe(await tabs.nth(count - 1).getAttribute('aria-controls'));
    expect(found).toEqual([]);
  });

  it('kept to its Content-Security-Policy and logged no errors', async (ctx) => {
    if (cannotBuild) return ctx.skip(cannotBuild);
    // Alone, this checks a page load; after the others, everything they did too.
    await openApp();
    expect(pageProblems).toEqual([]);
  });
});

/**
 * Loads the app afresh and waits for its shell prompt, restored from the
 * snapshot of the default kernel: where every test starts, so that none
 * depends on what another left behind.
 */
async function openApp(): Promise<void> {
  await page.goto(server!.url);
  await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 60_000 });
  await expect.poll(() => page.getAttribute('html', 'data-stage'), { timeout: 60_000 }).toBe('ready');
}

/** Types `command` into the terminal and waits for the failure view titled `title`; returns it. */
async function failAfterTyping(command: string, title: string) {
  await page.click('#terminal');
  await page.keyboard.type(command);
  const banner = page.locator('#failure');
  await expect.poll(() => banner.isVisible(), { timeout: 30_000 }).toBe(true);
  expect(await banner.locator('strong').textContent()).toBe(title);
  return banner;
}

/** Presses the failure view's Reset and waits for a ready guest, the view gone. */
async function resetFrom(banner: ReturnType<Page['locator']>): Promise<void> {
  await banner.locator('button').click();
  await expect.poll(() => page.getAttribute('html', 'data-stage'), { timeout: 60_000 }).toBe('ready');
  expect(await banner.isVisible()).toBe(false);
}

/** Opens the Playground tab and waits for its editor (CodeMirror loads with the tab); returns the panel. */
async function openPlayground(): Promise<ReturnType<Page['locator']>> {
  await openApp();
  await page.click('#tab-playground');
  const panel = page.locator('#panel-playground');
  await panel.locator('.cm-content').waitFor({ timeout: 20_000 });
  return panel;
}

/** Replaces the Playground editor's text as a paste would. */
async function setEditorText(text: string): Promise<void> {
  await page.click('#panel-playground .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

/** The Playground editor's text, a line per CodeMirror line (the programs here fit its viewport). */
async function editorText(): Promise<string> {
  return (await page.locator('#panel-playground .cm-line').allTextContents()).join('\n');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
