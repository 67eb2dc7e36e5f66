/** The test deployment's "model": alpha by colour distance from the background the four corners predict. */
import sharp from 'sharp';

export interface CutOptions {
  method?: 'object' | 'human';
  format?: 'png' | 'webp';
  mask_only?: boolean;
  bg_color?: string;
}

/** Deliberate defects a faulty deployment may inject into its images. */
export interface CutFaults {
  noAlpha?: boolean;
  halfSize?: boolean;
  boxMask?: boolean;
  ignoreHuman?: boolean;
  ignoreWebp?: boolean;
  /** `mask_only` answers the background white, the foreground black. */
  invertMask?: boolean;
  /** `bg_color` read as `#bbggrr`. */
  swapBgColor?: boolean;
}

/**
 * Good enough for the synthetic fixtures (plain or linear-gradient backgrounds): a pixel is foreground
 * when it is far from the bilinear blend of the corner colours. `human` also drops strongly blue
 * pixels: the fixtures' person wears no blue and their object is a blue box.
 */
export async function cutOut(
  input: Buffer,
  o: CutOptions,
  f: CutFaults = {},
): Promise<{ bytes: Buffer; type: string }> {
  const { data, info } = await sharp(input).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  const px = (x: number, y: number, c: number) => data[(y * w + x) * 3 + c]!;
  const corner = (x: number, y: number) => [0, 1, 2].map((c) => px(x, y, c));
  const [c00, c10, c01, c11] = [corner(0, 0), corner(w - 1, 0), corner(0, h - 1), corner(w - 1, h - 1)] as number[][];
  const alpha = Buffer.alloc(w * h);
  let [minX, minY, maxX, maxY] = [w, h, -1, -1];
  for (let y = 0; y < h; y++) {
    const v = h > 1 ? y / (h - 1) : 0;
    for (let x = 0; x < w; x++) {
      const u = w > 1 ? x / (w - 1) : 0;
      let d2 = 0;
      for (let c = 0; c < 3; c++) {
        const bg = (1 - u) * (1 - v) * c00![c]! + u * (1 - v) * c10![c]! + (1 - u) * v * c01![c]! + u * v * c11![c]!;
        d2 += (px(x, y, c) - bg) ** 2;
      }
      let fg = d2 > 60 * 60;
      const [r, g, b] = [px(x, y, 0), px(x, y, 1), px(x, y, 2)];
      if (fg && o.method === 'human' && !f.ignoreHuman && b > r + 60 && b > g + 40) fg = false;
      if (fg) {
        alpha[y * w + x] = 255;
        [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      }
    }
  }
  if (f.boxMask) for (let y = minY; y <= maxY; y++) alpha.fill(255, y * w + minX, y * w + maxX + 1);
  let img = o.mask_only
    ? sharp(f.invertMask ? alpha.map((a) => 255 - a) : alpha, { raw: { width: w, height: h, channels: 1 } })
    : sharp(data, { raw: { width: w, height: h, channels: 3 } }).joinChannel(alpha, {
        raw: { width: w, height: h, channels: 1 },
      });
  if (o.bg_color && !o.mask_only) {
    const hex = o.bg_color.replace('#', '').slice(0, 6);
    const background = `#${f.swapBgColor ? hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2) : hex}`;
    img = sharp(await img.png().toBuffer()).flatten({ background });
  }
  if (f.noAlpha) img = sharp(await img.png().toBuffer()).removeAlpha();
  if (f.halfSize) img = sharp(await img.png().toBuffer()).resize(Math.max(1, w >> 1), Math.max(1, h >> 1));
  const webp = o.format === 'webp' && !f.ignoreWebp;
  const bytes = webp ? await img.webp({ lossless: true }).toBuffer() : await img.png().toBuffer();
  return { bytes, type: webp ? 'image/webp' : 'image/png' };
}
