import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decode } from './decode.ts';
import { probe } from './probe.ts';
import { rng } from './seeded-random.ts';
import { isStandardSrgb } from './srgb-profile.ts';
import { sharedFixturesDir } from './testing/fixtures.ts';
import { pngChunk } from './testing/inputs.ts';

const MAX = 50_000_000;
const SIDE = 4096; // SIDE² = every 24-bit colour once

/** Every RGB colour once, opaque RGBA. */
function everyColour(): Buffer {
  const px = Buffer.alloc(SIDE * SIDE * 4);
  for (let i = 0, j = 0; i < SIDE * SIDE; i++, j += 4) px.writeUInt32BE(((i << 8) | 255) >>> 0, j);
  return px;
}

/** This PNG with the ICC profile in an iCCP chunk right after IHDR: its pixel values stay as they were. */
function tag(png: Buffer, icc: Buffer): Buffer {
  const iccp = pngChunk('iCCP', Buffer.concat([Buffer.from('ICC\0\0', 'latin1'), deflateSync(icc)]));
  return Buffer.concat([png.subarray(0, 33), iccp, png.subarray(33)]);
}

const png = (px: Buffer, width: number, channels: 3 | 4, sixteen = false) => {
  const raw = sharp(px, { raw: { width, height: px.length / channels / width, channels } });
  return (sixteen ? raw.toColourspace('rgb16') : raw).png({ compressionLevel: 1 }).toBuffer();
};

/** libvips's built-in profile of this name, as sharp embeds it. */
async function builtin(name: string): Promise<Buffer> {
  const img = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
    .withIccProfile(name)
    .png()
    .toBuffer();
  return (await sharp(img).metadata()).icc!;
}

/** How many bytes differ, and by how much at most. */
function difference(a: Buffer, b: Buffer): { moved: number; most: number } {
  let moved = 0,
    most = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d) moved++;
    if (d > most) most = d;
  }
  return { moved, most };
}

/** 128×96 seeded colours (RGB or RGBA). */
function noise(channels: 3 | 4): Buffer {
  const next = rng(7);
  return Buffer.from(Array.from({ length: 128 * 96 * channels }, () => Math.floor(next() * 256)));
}

describe('isStandardSrgb and probe', () => {
  it.each([
    ['no profile', undefined],
    ['3 144 zero bytes', Buffer.alloc(3144)],
  ])('%s → false', (_name, icc) => expect(isStandardSrgb(icc)).toBe(false));

  it.each(['srgb', 'p3'])("libvips's own %s profile → 'other'", async (name) => {
    const icc = await builtin(name);
    expect(isStandardSrgb(icc)).toBe(false);
    expect((await probe(tag(await png(noise(3), 128, 3), icc), MAX)).profile).toBe('other');
  });

  it('no profile, 8 and 16 bits', async () => {
    const eight = await probe(await png(noise(3), 128, 3), MAX);
    const sixteen = await probe(await png(noise(4), 128, 4, true), MAX);
    expect([eight.profile, eight.rgb16, sixteen.profile, sixteen.rgb16]).toEqual([
      undefined,
      undefined,
      undefined,
      true,
    ]);
  });
});

describe('decode applies a profile other than the standard sRGB one', () => {
  it('8-bit Display P3 is converted', async () => {
    const px = everyColour();
    const img = await decode(tag(await png(px, SIDE, 4), await builtin('p3')), MAX);
    expect(difference(img.rgba, px).moved).toBeGreaterThan(px.length / 10);
  }, 60_000);

  it.each([3, 4] as const)('16-bit Display P3 (%i channels) comes out as its 8-bit twin does', async (channels) => {
    const p3 = await builtin('p3');
    const px = noise(channels);
    const eight = await decode(tag(await png(px, 128, channels), p3), MAX);
    const sixteen = await decode(tag(await png(px, 128, channels, true), p3), MAX);
    expect(difference(sixteen.rgba, eight.rgba).most).toBeLessThanOrEqual(1);
    expect(difference(eight.rgba, (await decode(await png(px, 128, channels), MAX)).rgba).most).toBeGreaterThan(10);
  });

  it('16-bit without a profile is read as it is', async () => {
    const px = noise(4);
    const img = await decode(await png(px, 128, 4, true), MAX);
    expect(img.rgba.equals(px)).toBe(true);
  });
});

const photos = sharedFixturesDir();
describe.skipIf(!photos)("the standard sRGB profile (HP's, as the shared photo plants-1 carries it)", () => {
  it('is recognised, and decode reads the file’s values: applying it would move ≤ 0.5 % by one code', async () => {
    const photo = await readFile(path.join(photos!, 'photos', 'plants-1.jpg')); // a PNG despite its name
    const icc = (await sharp(photo).metadata()).icc!;
    expect(isStandardSrgb(icc)).toBe(true);
    expect((await probe(photo, MAX)).profile).toBe('standard-srgb');

    const px = everyColour();
    const probed = await probe(tag(await png(px, SIDE, 4), icc), MAX);
    expect(probed.profile).toBe('standard-srgb');
    expect((await decode(probed, MAX)).rgba.equals(px)).toBe(true);
    // Applied as any other profile (what decode did before), every colour stays within one code.
    const applied = await decode({ ...probed, profile: 'other' }, MAX);
    const { moved, most } = difference(applied.rgba, px);
    expect(most).toBe(1);
    expect(moved / (SIDE * SIDE * 3)).toBeLessThan(0.005);

    // 16 bits: read as they are too (sharp's own path put them 116 codes off).
    const deep = noise(4);
    expect((await decode(tag(await png(deep, 128, 4, true), icc), MAX)).rgba.equals(deep)).toBe(true);
  }, 60_000);
});
