import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type RemoveOptions } from './index.ts';
import { ballScene, boxScene, iou, render } from './synthetic.ts';
import { sharedFixturesDir } from './testing/fixtures.ts';

// The real ISNet model (≈ 2–3 s per image on 2 cores): one engine for the file, a handful of small images.
const opts = (o: Partial<RemoveOptions> = {}): RemoveOptions => ({
  method: 'object',
  format: 'png',
  maskOnly: false,
  ...o,
});

/** The alpha of an encoded result: its 4th channel, or its only channel for a mask. */
async function alphaOf(image: Buffer): Promise<Uint8Array> {
  const meta = await sharp(image).metadata();
  const channel = meta.channels === 4 ? 3 : 0;
  return new Uint8Array(await sharp(image).extractChannel(channel).raw().toBuffer());
}

describe('engine with the real model', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine({ device: 'cpu', workers: 1, threads: 0, maxPixels: 50_000_000 });
    await engine.ready();
  });
  afterAll(() => engine.close());

  it.each([ballScene(), boxScene()])('synthetic $name: alpha IoU ≥ 0.95', async (scene) => {
    const c = await render(scene);
    const r = await engine.removeBackground(c.image, opts({ maskOnly: true }));
    const score = iou(await alphaOf(r.image), c.alpha);
    console.log(`IoU ${scene.name}: ${score.toFixed(4)}`);
    expect(score).toBeGreaterThanOrEqual(0.95);
  });

  it('EXIF-rotated JPEG: output has the oriented size and the object where the viewer sees it', async () => {
    const c = await render(ballScene(320, 240));
    const jpeg = await sharp(c.image).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
    const r = await engine.removeBackground(jpeg, opts());
    expect([r.width, r.height]).toEqual([240, 320]);
    expect((await sharp(r.image).metadata()).channels).toBe(4);
    // The known alpha, rotated the way the viewer sees it (orientation 6 = 90° clockwise).
    const truth = await sharp(Buffer.from(c.alpha), { raw: { width: 320, height: 240, channels: 1 } })
      .rotate(90)
      .extractChannel(0)
      .raw()
      .toBuffer();
    const score = iou(await alphaOf(r.image), new Uint8Array(truth));
    console.log(`IoU rotated ball: ${score.toFixed(4)}`);
    expect(score).toBeGreaterThanOrEqual(0.95);
  });

  const fixtures = sharedFixturesDir();
  const reference = fixtures && path.join(fixtures, 'reference', 'anime-girl-1.isnet-general-use.png');
  it.skipIf(!reference || !existsSync(reference))(
    'anime-girl-1.jpg vs rembg isnet-general-use: IoU ≥ 0.97',
    async () => {
      const r = await engine.removeBackground(
        await readFile(path.join(fixtures!, 'photos', 'anime-girl-1.jpg')),
        opts({ maskOnly: true, format: 'webp' }),
      );
      expect(r.contentType).toBe('image/webp');
      const ref = await alphaOf(await readFile(reference!));
      const ours = await alphaOf(await sharp(r.image).png().toBuffer());
      const score = iou(ours, ref);
      console.log(`IoU anime-girl-1 vs reference: ${score.toFixed(4)}`);
      expect(score).toBeGreaterThanOrEqual(0.97);
    },
  );

  const car = fixtures && path.join(fixtures, 'photos', 'car-1.jpg');
  it.skipIf(!car || !existsSync(car))(
    'car-1.jpg: object keeps car and person, human keeps only the person',
    async () => {
      const input = await readFile(car!);
      const { width, height } = await sharp(input).metadata();
      // Mean alpha (0..1) over a box given in fractions of the image (boxes found by eye on the photo).
      const mean = (a: Uint8Array, [x0, y0, x1, y1]: number[]) => {
        let sum = 0,
          n = 0;
        for (let y = Math.floor(y0! * height!); y < y1! * height!; y++) {
          for (let x = Math.floor(x0! * width!); x < x1! * width!; x++) {
            sum += a[y * width! + x]!;
            n++;
          }
        }
        return sum / n / 255;
      };
      const person = [216 / 256, 80 / 256, 230 / 256, 180 / 256];
      const carBody = [30 / 256, 130 / 256, 190 / 256, 195 / 256];
      const object = await alphaOf((await engine.removeBackground(input, opts({ maskOnly: true }))).image);
      const human = await alphaOf(
        (await engine.removeBackground(input, opts({ maskOnly: true, method: 'human' }))).image,
      );
      console.log(
        `car-1 object: person ${mean(object, person).toFixed(2)} car ${mean(object, carBody).toFixed(2)}; human: person ${mean(human, person).toFixed(2)} car ${mean(human, carBody).toFixed(2)}`,
      );
      expect(mean(object, person)).toBeGreaterThan(0.8);
      expect(mean(object, carBody)).toBeGreaterThan(0.8);
      expect(mean(human, person)).toBeGreaterThan(0.8);
      expect(mean(human, carBody)).toBeLessThan(0.05);
    },
  );

  // int8's fp32 fallback, wired through the engine: with a rule that every image breaks, an int8 engine
  // answers with exactly the fp32 engine's mask, and says so.
  it('int8 engine: an image that breaks the fallback rule is answered by the fp32 graph', async () => {
    const int8 = createEngine(
      { device: 'cpu', workers: 1, threads: 0, maxPixels: 50_000_000, precision: 'int8' },
      { int8Fallback: { band: [0.2, 0.8], share: -1 } },
    );
    try {
      await int8.ready();
      const c = await render(ballScene());
      const [a, b] = await Promise.all(
        [engine, int8].map((e) => e.removeBackground(c.image, opts({ maskOnly: true }))),
      );
      expect(a!.precision).toBe('fp32');
      expect(b!.precision).toBe('fp32');
      expect(Buffer.from(await alphaOf(b!.image)).equals(Buffer.from(await alphaOf(a!.image)))).toBe(true);
    } finally {
      await int8.close();
    }
  });
});
