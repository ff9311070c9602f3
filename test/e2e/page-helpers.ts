/** What both e2e files do with a page: collect its problems and read its terminal. */
import type { Page } from 'playwright-core';

/** Records page errors, console errors and (with `responses`) HTTP errors into `problems`. */
export function collectPageProblems(page: Page, problems: string[], options: { readonly responses?: boolean } = {}): void {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  if (options.responses) {
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
  }
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
}

/** The terminal's visible text, one line per row (xterm's DOM renderer). */
export async function terminalText(page: Page): Promise<string> {
  const rows = await page.locator('#terminal .xterm-rows > div').allTextContents();
  return rows.map((row) => row.replace(/\u00a0/g, ' ').trimEnd()).join('\n').replace(/\n+$/, '\n');
}
