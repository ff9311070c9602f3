/**
 * Debian's Chromium, headless, as the e2e tests and bench's page leg drive
 * it (playwright-core: no browser is ever downloaded). One place for where
 * it is and how it starts, so a measurement and a test see the same browser.
 * playwright-core is a devDependency, loaded only when a browser starts: the
 * published CLI imports this file (bench) without it being installed.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { EpollLabError } from '../core/errors.js';

/** No browser where one is looked for: the one error a caller may treat as "skip this leg". */
export class ChromiumMissingError extends EpollLabError {
  static override readonly label: string = 'ChromiumMissingError';
}

/** CHROMIUM_PATH, else Debian's package's binary. */
export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
}

/** The browser, or one clear error saying how to get it. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) throw new ChromiumMissingError(`no Chromium at ${executablePath}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
  const { chromium } = await import('playwright-core').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ChromiumMissingError('no playwright-core to drive Chromium with (a devDependency of epoll-lab): run `npm install -D playwright-core` in this project');
  });
  return chromium.launch({
    executablePath,
    headless: true,
    // No sandbox (CI runs as root); nothing fetched but the page itself.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
