/** The demo page in real headless Chromium against the reference server on its sandbox engine: upload, wait, check the cut-out; screenshots of its states. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_KEY, type FakeServer, SCRIPT_HEADER, startFakeServer } from '../../client/testing/fake-server.ts';
import { launchChromium, offlinePage, screenshotPath } from '../../docs/browser.ts';
import { loadConfig } from '../src/process/config.ts';
import { ballScene, iou, render } from '../src/engine/synthetic.ts';
import { sandboxDeps, startServer, type Running } from '../src/process/serve.ts';
import { createSandbox, SCRIPT_HEADER as SANDBOX_HEADER } from '../src/sandbox/index.ts';

let server: Running;
let browser: Browser;
let dir: string;
let devKey: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bgr-demo-'));
  const config = loadConfig({ PORT: '0' }); // no keys: dev mode, the page gets the dev key
  devKey = config.devKey;
  // The page is about the API, not the model: the sandbox engine, 300 ms per image.
  const engine = createSandbox({ maxPixels: config.maxPixels, timeMs: 300 });
  [browser, server] = await Promise.all([launchChromium(), startServer({ config, engine, ...sandboxDeps(config) })]);
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
    page.on('request', (r) => {
      if (r.url().endsWith('/status')) statusReads.push(r.headers()['accept']);
    });
    await page.goto(server.url);
    await page.setInputFiles('#file', photo);
    await page.click('#go');
    await page.waitForSelector('#download:not(.hidden)', { timeout: 90_000 });
    // What the Download link offers: the bytes behind its blob URL.
    const href = await page.getAttribute('#download', 'href');
    const png = Buffer.from(
      await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u!)).arrayBuffer())], href),
    );
    expect(await page.textContent('#status')).toMatch(/^Done in/);
    // The reference offers the status stream: one streamed GET of the status URL, no polling.
    expect(await page.getAttribute('#status', 'data-via')).toBe('stream');
    expect(statusReads).toEqual(['text/event-stream, application/json;q=0.9']);

    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 320, 240, 4]);
    const alpha = new Uint8Array(await sharp(png).extractChannel(3).raw().toBuffer());
    expect(iou(alpha, scene.alpha)).toBeGreaterThan(0.9);
    // The page shows that same image (a blob URL of it), at its natural size.
    expect(
      await page.$eval('#after', (img) => [
        (img as HTMLImageElement).naturalWidth,
        (img as HTMLImageElement).naturalHeight,
      ]),
    ).toEqual([320, 240]);
    await page.screenshot({ path: screenshotPath('demo.png'), fullPage: true });
    expect(outside).toEqual([]);
  }, 120_000);

  it('looks finished in every state: empty (no broken images), working, done, failed', async () => {
    const scene = await render(ballScene(320, 240));
    const photo = join(dir, 'ball-states.png');
    await writeFile(photo, scene.image);
    const { page, outside } = await offlinePage(browser, [server.url]);
    await page.setViewportSize({ width: 1000, height: 760 });
    await page.goto(server.url);
    // Empty: no <img> is rendered (no broken-image icon, no alt text); each pane shows its placeholder.
    await page.waitForFunction(() => document.readyState === 'complete');
    const visibleImages = () =>
      page.$$eval('figure img', (imgs) => imgs.filter((i) => (i as HTMLElement).offsetWidth > 0).length);
    expect(await visibleImages()).toBe(0);
    expect(await page.isVisible('#before-empty')).toBe(true);
    expect(await page.isVisible('#after-empty')).toBe(true);
    await page.screenshot({ path: screenshotPath('demo-empty.png'), fullPage: true });

    // Working: a scripted 2 s image (the sandbox's `delay=`), caught while it runs.
    await page.setExtraHTTPHeaders({ [SANDBOX_HEADER]: 'delay=2' });
    await page.setInputFiles('#file', photo);
    await expect.poll(() => page.isVisible('#before')).toBe(true);
    await page.click('#go');
    await expect.poll(() => page.textContent('#status')).toMatch(/Removing the background/);
    expect(await page.getAttribute('#after-empty', 'class')).toContain('working');
    await page.screenshot({ path: screenshotPath('demo-working.png'), fullPage: true });

    // Done: the cut-out on the checkerboard, the placeholder gone.
    await page.waitForSelector('#download:not(.hidden)', { timeout: 30_000 });
    await expect.poll(() => page.isVisible('#after-empty')).toBe(false);
    await page.screenshot({ path: screenshotPath('demo-done.png'), fullPage: true });

    // Failed: a scripted FAILED request shows its error in the status line and the After pane.
    await page.setExtraHTTPHeaders({ [SANDBOX_HEADER]: 'fail=invalid_image' });
    await page.setInputFiles('#file', photo);
    await page.click('#go');
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toMatch(/\(invalid_image\)$/);
    expect(await page.getAttribute('#after-empty', 'class')).toContain('failed');
    expect(await page.isVisible('#after-empty')).toBe(true);
    expect(await visibleImages()).toBe(1); // the Before image only
    await page.screenshot({ path: screenshotPath('demo-failed.png'), fullPage: true });
    expect(outside).toEqual([]);
  }, 120_000);

  it('takes input typed before its configuration has arrived, and sends the dev key with it', async () => {
    const { page } = await offlinePage(browser, [server.url]);
    // A slow configuration (a loaded server or network): the page must not wait for it to listen for input.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route(`${server.url}/demo/config.json`, async (route) => {
      await held;
      await route.continue();
    });
    const keys: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v2/bg-removal')) keys.push(r.headers()['x-api-key']);
    });
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    await page.fill('#url', 'https://example.invalid/photo.png');
    expect(await page.isEnabled('#go')).toBe(true);
    await page.click('#go');
    release();
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toMatch(/\(\w+\)$/);
    expect(keys).toEqual([devKey]);
  });

  it('asks for a key when the server has configured keys (production mode)', async () => {
    const prod = await startServer({
      config: loadConfig({ PORT: '0', BGR_API_KEYS: 'configured-key-1' }),
      engine: { ...fakeReady },
    });
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
  beforeAll(async () => {
    prod = await startFakeServer({ production: true });
  });
  afterAll(async () => {
    await prod?.close();
  });

  /** The page from the reference; its API calls answered by the production-shaped fake (with the fake's key). */
  async function pageOnProd(script?: string) {
    const { page, outside } = await offlinePage(browser, [server.url]);
    const forward = async (route: import('playwright-core').Route, target: string) => {
      const req = route.request();
      const headers: Record<string, string> = {
        ...(await req.allHeaders()),
        ...(script ? { [SCRIPT_HEADER]: script } : {}),
      };
      if (headers['x-api-key']) headers['x-api-key'] = FAKE_KEY;
      const sent = req.postDataBuffer();
      const res = await fetch(target, {
        method: req.method(),
        headers,
        ...(sent ? { body: new Uint8Array(sent) } : {}),
      });
      const type = res.headers.get('content-type') ?? 'application/octet-stream';
      let body = Buffer.from(await res.arrayBuffer());
      // As behind a proxy with a public URL: the URLs it returns are on the page's origin.
      if (type.startsWith('application/json')) body = Buffer.from(body.toString().replaceAll(prod.url, server.url));
      await route.fulfill({ status: res.status, headers: { 'content-type': type }, body });
    };
    await page.route(`${server.url}/v2/**`, (route) =>
      forward(route, route.request().url().replace(server.url, prod.url)),
    );
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
    await expect
      .poll(() => page.textContent('#status'), { timeout: 30_000 })
      .toBe('The image could not be decoded. (422)');
  });
});

// The production-mode check needs no model: an engine that is ready and never called.
const fakeReady = {
  ready: async () => {},
  isReady: () => true,
  removeBackground: async () => {
    throw new Error('not called');
  },
  close: async () => {},
};
