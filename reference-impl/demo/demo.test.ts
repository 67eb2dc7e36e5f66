/** The demo page in real headless Chromium against the real reference: upload, wait, check the cut-out, screenshot. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_KEY, type FakeServer, SCRIPT_HEADER, startFakeServer } from '../../client/testing/fake-server.ts';
import { launchChromium, offlinePage, screenshotPath } from '../../docs/browser.ts';
import { loadConfig } from '../src/process/config.ts';
import { createEngine } from '../src/engine/index.ts';
import { ballScene, iou, render } from '../src/engine/synthetic.ts';
import { engineConfigOf, startServer, type Running } from '../src/process/serve.ts';

let server: Running;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bgr-demo-'));
  const config = loadConfig({ PORT: '0' }); // no keys: dev mode, the page gets the dev key
  const engine = createEngine(engineConfigOf(config));
  [browser] = await Promise.all([launchChromium(), engine.ready()]);
  server = await startServer({ config, engine });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.shutdown();
});

describe('the demo page', () => {
  it('uploads an image, shows progress, and offers a transparent PNG of the same size', async () => {
    const scene = await render(ballScene(320, 240));
    const photo = join(dir, 'ball.png');
    await writeFile(photo, scene.image);
    const { page, outside } = await offlinePage(browser, [server.url]);
    const statusReads: (string | undefined)[] = [];
    page.on('request', (r) => { if (r.url().endsWith('/status')) statusReads.push(r.headers()['accept']); });
    await page.goto(server.url);
    await page.setInputFiles('#file', photo);
    await page.click('#go');
    await page.waitForSelector('#download:not(.hidden)', { timeout: 90_000 });
    // What the Download link offers: the bytes behind its blob URL.
    const href = await page.getAttribute('#download', 'href');
    const png = Buffer.from(await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u!)).arrayBuffer())], href));
    expect(await page.textContent('#status')).toMatch(/^Done in/);
    // The reference offers the status stream: one streamed GET of the status URL, no polling.
    expect(await page.getAttribute('#status', 'data-via')).toBe('stream');
    expect(statusReads).toEqual(['text/event-stream, application/json;q=0.9']);

    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 320, 240, 4]);
    const alpha = new Uint8Array(await sharp(png).extractChannel(3).raw().toBuffer());
    expect(iou(alpha, scene.alpha)).toBeGreaterThan(0.9);
    // The page shows that same image (a blob URL of it), at its natural size.
    expect(await page.$eval('#after', (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight])).toEqual([320, 240]);
    await page.screenshot({ path: screenshotPath('demo.png'), fullPage: true });
    expect(outside).toEqual([]);
  }, 120_000);

  it('asks for a key when the server has configured keys (production mode)', async () => {
    const prod = await startServer({ config: loadConfig({ PORT: '0', BGR_API_KEYS: 'configured-key-1' }), engine: { ...fakeReady } });
    try {
      const { page } = await offlinePage(browser, [prod.url]);
      await page.goto(prod.url);
      await expect.poll(() => page.isVisible('#key')).toBe(true);
      await page.fill('#url', 'https://example.invalid/x.jpg');
      await page.click('#go');
      await expect.poll(() => page.textContent('#status')).toMatch(/unauthorized/);
    } finally {
      await prod.shutdown();
    }
  });
});

describe('the demo page against a production-shaped deployment (no stream, no `code`, 200 while pending)', () => {
  let prod: FakeServer;
  beforeAll(async () => { prod = await startFakeServer({ production: true }); });
  afterAll(async () => { await prod?.close(); });

  /** The page from the reference; its API calls answered by the production-shaped fake (with the fake's key). */
  async function pageOnProd(script?: string) {
    const { page, outside } = await offlinePage(browser, [server.url]);
    const forward = async (route: import('playwright-core').Route, target: string) => {
      const req = route.request();
      const headers: Record<string, string> = { ...(await req.allHeaders()), ...(script ? { [SCRIPT_HEADER]: script } : {}) };
      if (headers['x-api-key']) headers['x-api-key'] = FAKE_KEY;
      const sent = req.postDataBuffer();
      const res = await fetch(target, { method: req.method(), headers, ...(sent ? { body: new Uint8Array(sent) } : {}) });
      const type = res.headers.get('content-type') ?? 'application/octet-stream';
      let body = Buffer.from(await res.arrayBuffer());
      // As behind a proxy with a public URL: the URLs it returns are on the page's origin.
      if (type.startsWith('application/json')) body = Buffer.from(body.toString().replaceAll(prod.url, server.url));
      await route.fulfill({ status: res.status, headers: { 'content-type': type }, body });
    };
    await page.route(`${server.url}/v2/**`, (route) => forward(route, route.request().url().replace(server.url, prod.url)));
    await page.goto(server.url);
    return { page, outside };
  }

  it('polls to the end and shows the output', async () => {
    const { page } = await pageOnProd();
    await page.fill('#url', 'https://example.invalid/photo.png');
    await page.click('#go');
    await page.waitForSelector('#download:not(.hidden)', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/^Done in/);
    expect(await page.getAttribute('#status', 'data-via')).toBe('polling');
    expect(prod.log.filter((r) => r.path.endsWith('/status')).length).toBeGreaterThanOrEqual(3);
  });

  it('shows a FAILED request’s error without a code', async () => {
    const { page } = await pageOnProd('fail');
    await page.fill('#url', 'https://example.invalid/photo.png');
    await page.click('#go');
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toBe('The image could not be decoded. (422)');
  });
});

// The production-mode check needs no model: an engine that is ready and never called.
const fakeReady = {
  ready: async () => {},
  isReady: () => true,
  removeBackground: async () => { throw new Error('not called'); },
  close: async () => {},
};
