/** The demo page in real headless Chromium against the real reference: upload, wait, check the cut-out, screenshot. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, offlinePage, screenshotPath } from '../../docs/browser.ts';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/index.ts';
import { ballScene, iou, render } from '../src/engine/synthetic.ts';
import { engineConfigOf, startServer, type Running } from '../src/serve.ts';

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
    await page.goto(server.url);
    await page.setInputFiles('#file', photo);
    await page.click('#go');
    await page.waitForSelector('#download:not(.hidden)', { timeout: 90_000 });
    // What the Download link offers: the bytes behind its blob URL.
    const href = await page.getAttribute('#download', 'href');
    const png = Buffer.from(await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u!)).arrayBuffer())], href));
    expect(await page.textContent('#status')).toMatch(/^Done in/);

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

// The production-mode check needs no model: an engine that is ready and never called.
const fakeReady = {
  ready: async () => {},
  isReady: () => true,
  removeBackground: async () => { throw new Error('not called'); },
  close: async () => {},
};
