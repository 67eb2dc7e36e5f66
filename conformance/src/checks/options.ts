/** Output options (the `output-options` extension) beyond `format`: `mask_only`, `bg_color` and `base64` (V1-WEBP checks `format`). */
import { CORE, type Check } from '../check.ts';
import { runToEnd } from '../flows.ts';
import {
  flattenMismatch,
  greyLevels,
  inspectImage,
  maskDifference,
  maxDisagreement,
  transparentShare,
  type ImageInfo,
} from '../image.ts';
import { ensure, fail, skip } from '../outcome.ts';
import { removeSync } from './v1.ts';
import { expectOutputCutOut } from './v2.ts';

/** A colour far from every fixture's background and foreground, so a flattened background cannot pass by chance. */
const bgColor = { hex: '#1e90ff', rgb: [0x1e, 0x90, 0xff] } as const;

const opaque = (img: ImageInfo) => img.alpha.every((a) => a === 255);

export const optionChecks: Check[] = [
  {
    id: 'V1-MASK-ONLY',
    level: 'MUST',
    clause: 'OUTPUT-OPTIONS',
    extension: 'output-options',
    profiles: CORE,
    sentence:
      "With `mask_only` the sync result MUST be the alpha mask: an opaque greyscale PNG of the input size whose grey level is the alpha of the cut-out (on the disc fixture, on the same side of 128 as the plain removal's alpha for at least 95% of pixels).",
    async run(ctx) {
      const f = ctx.fixtures.disc;
      const plain = await removeSync(ctx, f);
      const { ex, img } = await removeSync(ctx, f, { mask_only: true });
      ensure(img.format === 'png', `the mask is ${img.format}, not PNG`, ex);
      ensure(
        img.width === f.width && img.height === f.height,
        `the mask is ${img.width}×${img.height}, the input ${f.width}×${f.height}`,
        ex,
      );
      ensure(opaque(img), 'the mask has transparent pixels (the cut-out instead of its mask?)', ex);
      const grey = greyLevels(img);
      if (!grey) fail('the mask is not greyscale', ex);
      const diff = maskDifference(grey, plain.img.alpha);
      ensure(
        diff <= maxDisagreement,
        `the mask disagrees with the cut-out's alpha on ${(diff * 100).toFixed(1)}% of pixels (inverted?)`,
        ex,
      );
      return `disagrees with the cut-out's alpha on ${(diff * 100).toFixed(2)}% of pixels`;
    },
  },
  {
    id: 'V1-BG-COLOR',
    level: 'MUST',
    clause: 'OUTPUT-OPTIONS',
    extension: 'output-options',
    profiles: CORE,
    sentence: `With an opaque \`bg_color\` (\`${bgColor.hex}\`) the sync result MUST be an opaque image of the input size, the cut-out flattened onto that colour: on the disc fixture at least 95% of pixels within 16 levels of \`input × alpha + colour × (1 − alpha)\`, alpha being the plain removal's.`,
    async run(ctx) {
      const f = ctx.fixtures.disc;
      const plain = await removeSync(ctx, f);
      const share = transparentShare(plain.img.alpha);
      if (share <= 0.01 || share >= 0.99)
        skip("the plain removal's alpha is trivial, so a flattening cannot be told from the input");
      const { ex, img } = await removeSync(ctx, f, { bg_color: bgColor.hex });
      ensure(
        img.width === f.width && img.height === f.height,
        `the result is ${img.width}×${img.height}, the input ${f.width}×${f.height}`,
        ex,
      );
      ensure(opaque(img), 'the result has transparent pixels', ex);
      const input = await inspectImage(f.png);
      const bad = flattenMismatch(img, input!, plain.img.alpha, bgColor.rgb);
      ensure(
        bad <= maxDisagreement,
        `${(bad * 100).toFixed(1)}% of pixels are not the cut-out flattened onto ${bgColor.hex}`,
        ex,
      );
      return `${(bad * 100).toFixed(2)}% of pixels off the flattened cut-out`;
    },
  },
  {
    id: 'V2-BASE64-OUTPUT',
    level: 'MUST',
    clause: 'OUTPUT-OPTIONS',
    extension: 'output-options',
    profiles: CORE,
    sentence:
      'With `base64` the `output` of a COMPLETED result MUST be a `data:image/png;base64,` URI whose bytes are the PNG cut-out (input size, alpha).',
    async run(ctx) {
      const { terminal, result } = await runToEnd(ctx, { image: ctx.fixtures.disc.base64, base64: true });
      ensure(terminal.state === 'COMPLETED', `the request ended ${terminal.state}`, terminal.final);
      const output = await expectOutputCutOut(ctx, result, ctx.fixtures.disc);
      ensure(
        output.startsWith('data:image/png;base64,'),
        `output is not a data:image/png;base64 URI: '${output.slice(0, 60)}'`,
        result,
      );
    },
  },
];
