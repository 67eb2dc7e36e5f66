import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadContract } from '@bgr/spec/contract';
import { launchChromium, offlinePage, screenshotPath } from './browser.ts';
import { buildDocs } from './build.ts';

let out: string;
let browser: Browser;
let built: { html: string; spec: string };

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'bgr-docs-'));
  [built, browser] = await Promise.all([buildDocs(out), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await rm(out, { recursive: true, force: true });
});

describe('the docs site', () => {
  it('publishes the contract as one self-contained file', async () => {
    const spec = parse(await readFile(built.spec, 'utf8'));
    expect(JSON.stringify(spec)).not.toMatch(/"\$ref":"(?!#)/);
    expect(Object.keys(spec.paths)).toEqual(Object.keys(loadContract().spec.paths));
  });

  it('builds a page whose Redoc telemetry is off (it would post page views to Redocly)', async () => {
    const html = await readFile(built.html, 'utf8');
    expect(html).toMatch(/__redoc_options = \{[^}]*"disableTelemetry":true/);
  });

  it('renders every operation in headless Chromium, with no request leaving the machine', async () => {
    const { page, outside } = await offlinePage(browser);
    const url = pathToFileURL(built.html).href;
    await page.goto(url);
    await page.waitForSelector('text=Background Removal API (1.0.0)', { timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('docs-overview.png') });
    // The overview names no placeholder site as if it were the API: the servers are the reference and the sandbox.
    expect(await page.locator('body').innerText()).not.toMatch(/example\.com\/bg-removal/);
    const spec = loadContract().spec;
    for (const tag of spec.tags as { name: string }[]) await page.getByText(tag.name, { exact: true }).first().click();
    const sidebar = await page.locator('body').innerText();
    for (const op of loadContract().operations) {
      expect(sidebar, `sidebar entry of ${op.operationId}`).toContain(
        spec.paths[op.path][op.method.toLowerCase()].summary,
      );
      const tag = spec.paths[op.path][op.method.toLowerCase()].tags[0].toLowerCase();
      await page.goto(`${url}#/${tag}/${op.operationId.toLowerCase()}`);
      await expect.poll(() => page.locator('body').innerText(), { timeout: 10_000 }).toContain(op.path);
    }
    await page.screenshot({ path: screenshotPath('docs-operation.png') });
    // The guides are sections of the same site: the sidebar reaches them and they render their tables.
    await page.goto(url);
    for (const [entry, expected] of [
      ['Errors', 'insufficient_credits'],
      ['Polling and expiry', 'not_cancelable'],
      ['Quickstart', 'dev key'],
      ['Sandbox and scripted outcomes', 'x-bgr-sandbox'],
    ]) {
      await page.getByText(entry!, { exact: true }).first().click();
      await expect.poll(() => page.locator('body').innerText(), { timeout: 10_000 }).toContain(expected);
      await page.screenshot({ path: screenshotPath(`docs-${entry!.toLowerCase().replace(/\W+/g, '-')}.png`) });
    }
    expect(outside).toEqual([]);
  }, 90_000);
});
