/**
 * The HTML report in real headless Chromium (Debian's, through playwright-core): a full run against a deployment
 * whose masks are wrong renders offline, with every image loaded, the diff overlay and the latency chart; and the
 * Markdown summary names the failure.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, offlinePage, screenshotPath } from '../docs/browser.ts';
import { checkCommand } from './src/cli.ts';
import { startGoodServer, type GoodServer } from './testing/good-server.ts';

let server: GoodServer;
let browser: Browser;
let dir: string;
let code: number;

beforeAll(async () => {
  server = await startGoodServer({ fault: 'box-mask' });
  dir = await mkdtemp(join(tmpdir(), 'bgr-html-'));
  const args = [
    '--base-url',
    server.url,
    '--api-key',
    'key-a',
    '--second-api-key',
    'key-b',
    '--profile',
    'full',
    '--samples',
    '4',
    '--html',
    join(dir, 'report.html'),
    '--summary',
    join(dir, 'summary.md'),
  ];
  code = await checkCommand(args, new PassThrough(), new PassThrough());
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the HTML report of a full run', () => {
  it('renders offline in Chromium: verdicts, every image loaded, the diff overlay, the latency chart, the coverage matrix', async () => {
    expect(code).toBe(0); // box-mask breaks a SHOULD only
    const { page, outside } = await offlinePage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForLoadState('load');
    const shown = await page.evaluate(() => ({
      verdict: document.querySelector('.verdict')?.textContent,
      images: Array.from(document.images).map((i) => ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0 })),
      bars: document.querySelectorAll('figure.chart svg rect').length,
      coverageCells: document.querySelectorAll('table.cov td.obs').length,
      openFailures: Array.from(document.querySelectorAll('details.fail[open]')).map((d) => d.id),
    }));
    expect(shown.verdict).toBe('CONFORMANT');
    expect(shown.images.length).toBeGreaterThan(8);
    expect(shown.images.filter((i) => !i.ok)).toEqual([]);
    expect(shown.images.map((i) => i.alt)).toEqual(
      expect.arrayContaining(['input', 'output', 'expected mask', 'diff overlay']),
    );
    expect(shown.bars).toBeGreaterThan(8);
    expect(shown.coverageCells).toBeGreaterThan(10);
    expect(shown.openFailures).toContain('V1-QUALITY-IOU');
    await page.locator('#V1-QUALITY-IOU').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('conformance-report-failure.png') });
    await page.locator('h2', { hasText: 'Latency' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('conformance-report-latency.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('conformance-report-top.png') });
    expect(outside).toEqual([]);
    expect(requests.filter((u) => !/^(file|data):/.test(u))).toEqual([]);
    await page.close();
  });

  it('writes a Markdown summary that names the failed check', async () => {
    const md = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/^## bgr check: ✅ CONFORMANT/);
    expect(md).toMatch(/\| `V1-QUALITY-IOU` \| SHOULD \| core \| disc: alpha IoU 0\.\d+ < 0\.9/);
    expect(md).toMatch(/\| `LATENCY-V2` \| [\d.]+ s \|/);
    expect(md).toMatch(/Coverage: \*\*[\d.]+ %\*\*/);
  });
});
