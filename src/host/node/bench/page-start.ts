/**
 * bench's page leg: how long the browser app takes from navigation to a
 * shell prompt, in Debian's Chromium driven by playwright-core, served from
 * the built site (dist/site/) by a plain local static server. Every load is a
 * first visit (a fresh browser context: empty HTTP cache), as a newcomer's.
 *
 * The page marks READY_MARK with the worker's own timings (assets fetched
 * and unpacked, guest restored) and PROMPT_MARK when the restored shell
 * answers, so the figure splits into where its time goes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EpollLabError } from '../../core/errors.js';
import { PROMPT_MARK, READY_MARK, type ReadyMarkDetail } from '../../../ui/shared/page-marks.js';
import { launchChromium } from '../chromium.js';
import { serveStatic, type StaticServer } from '../static-server.js';
import { serveConsole } from '../commands/serve.js';
import { silentLogger } from '../../core/logger.js';
import { existsSync } from 'node:fs';
import { median } from './stats.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * In the clone: the site built now into dist/site/ (vite, loaded here: only
 * this leg needs the build tool). An installed package has no vite and no
 * sources: its shipped console with this cache's guest assets, as `epoll-lab
 * serve` serves them.
 */
async function siteServer(): Promise<StaticServer> {
  if (!existsSync(path.join(REPO, 'vite.config.ts'))) return (await serveConsole({ port: 0, logger: silentLogger })).server;
  const { build } = await import('vite');
  await build({ configFile: path.join(REPO, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  return serveStatic(path.join(REPO, 'dist', 'site'));
}

/** Medians over the loads, in ms from navigation start. */
export interface PageStartFigures {
  readonly loads: number;
  /** Navigation → fresh shell prompt: the figure with a target. */
  readonly promptMs: number;
  readonly promptMinMs: number;
  readonly promptMaxMs: number;
  /** Navigation → the page's script has run and the worker was asked to start. */
  readonly pageScriptMs: number;
  /** In the worker: fetching and unpacking BIOS, snapshot and manifest. */
  readonly assetsMs: number;
  /** In the worker: the emulator's start and restore_state, up to the agent's answer. */
  readonly restoreMs: number;
  /** Ready → the restored shell printed its prompt. */
  readonly readyToPromptMs: number;
  /** What a first visit downloads (as stored, compressed). */
  readonly downloadedBytes: number;
}

interface OneLoad {
  readonly scriptMs: number;
  readonly readyMs: number;
  readonly promptMs: number;
  readonly detail: ReadyMarkDetail;
}

/**
 * Builds the site into dist/site/ (so it is never stale), then loads it `loads`
 * times. Throws when Chromium is missing: the caller decides whether the
 * leg is optional.
 */
export async function measurePageStart(options: { readonly loads: number }): Promise<PageStartFigures> {
  const server = await siteServer();
  const browser = await launchChromium().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  try {
    const runs: OneLoad[] = [];
    for (let i = 0; i < options.loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(server.url);
        await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PROMPT_MARK, { timeout: 60_000 });
        runs.push(
          await page.evaluate(
            ([ready, prompt]) => {
              const readyMark = performance.getEntriesByName(ready)[0] as PerformanceMark;
              // Runs in the page; typed with Node's lib, which has no navigation entries.
              const script = performance.getEntriesByType('navigation' as never)[0] as unknown as { domContentLoadedEventEnd: number };
              return {
                scriptMs: script.domContentLoadedEventEnd,
                readyMs: readyMark.startTime,
                promptMs: performance.getEntriesByName(prompt)[0]!.startTime,
                detail: readyMark.detail as ReadyMarkDetail,
              };
            },
            [READY_MARK, PROMPT_MARK] as const,
          ),
        );
      } finally {
        await context.close();
      }
    }
    if (runs.some((r) => r.detail.origin !== 'restored')) throw new EpollLabError('the page booted cold instead of restoring its snapshot: the built site has no snapshot (run `npm run build:images`)');
    const mid = (pick: (r: OneLoad) => number) => median(runs.map(pick));
    return {
      loads: runs.length,
      promptMs: mid((r) => r.promptMs),
      promptMinMs: Math.min(...runs.map((r) => r.promptMs)),
      promptMaxMs: Math.max(...runs.map((r) => r.promptMs)),
      pageScriptMs: mid((r) => r.scriptMs),
      assetsMs: mid((r) => r.detail.assetsMs),
      restoreMs: mid((r) => r.detail.startMs),
      readyToPromptMs: mid((r) => r.promptMs - r.readyMs),
      downloadedBytes: runs[0]!.detail.downloadedBytes,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
