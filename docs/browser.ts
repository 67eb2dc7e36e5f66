/** Launches Debian's headless Chromium through playwright-core (no browser download) and records outside requests. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Opens a page that may reach only `allowed` origins (file: and data: always pass): anything else is
 * aborted and listed, so a test can assert that a page works offline.
 */
export async function offlinePage(
  browser: Browser,
  allowed: string[] = [],
): Promise<{ page: Page; outside: string[] }> {
  const page = await browser.newPage();
  const outside: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob|about):/.test(url) || allowed.some((o) => url.startsWith(o))) return route.continue();
    outside.push(url);
    return route.abort();
  });
  return { page, outside };
}

/** Where tests save screenshots for review: `.cache/screenshots/` (ignored by git), or BGR_SCREENSHOTS. */
export function screenshotPath(name: string): string {
  const dir = process.env.BGR_SCREENSHOTS ?? fileURLToPath(new URL('../.cache/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
