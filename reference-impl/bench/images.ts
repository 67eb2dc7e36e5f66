/** Bench inputs: the shared photos when present, else generated composites, so every section runs on any machine. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { sharedFixturesDir } from '../src/engine/testing/fixtures.ts';
import { ballScene, boxScene, render } from '../src/engine/synthetic.ts';

export interface BenchImage {
  name: string;
  data: Buffer;
  width: number;
  height: number;
  megapixels: number;
}
export interface BenchImages {
  source: 'shared photos' | 'generated';
  images: BenchImage[];
}

async function described(name: string, data: Buffer): Promise<BenchImage> {
  const m = await sharp(data).metadata();
  const width = m.width ?? 0;
  const height = m.height ?? 0;
  return { name, data, width, height, megapixels: (width * height) / 1e6 };
}

/** JPEG composites at photo-like sizes (the synthetic scenes the quality tests use, scaled up). */
export async function generatedImages(): Promise<BenchImage[]> {
  const scenes = [ballScene(800, 600), boxScene(600, 800), ballScene(1200, 900)];
  return Promise.all(
    scenes.map(async (s, i) => {
      const c = await render(s);
      const jpeg = await sharp(c.image).jpeg({ quality: 90 }).toBuffer();
      return described(`generated-${i + 1}-${s.width}x${s.height}.jpg`, jpeg);
    }),
  );
}

export async function benchImages(): Promise<BenchImages> {
  const fixtures = sharedFixturesDir();
  if (fixtures) {
    const dir = path.join(fixtures, 'photos');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
    if (files.length > 0) {
      return {
        source: 'shared photos',
        images: await Promise.all(files.map(async (f) => described(f, await readFile(path.join(dir, f))))),
      };
    }
  }
  return { source: 'generated', images: await generatedImages() };
}
