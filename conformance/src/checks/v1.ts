/** The sync endpoint: a PNG/WebP of the input's size with a meaningful alpha channel. */
import { CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { personSceneBox, type Fixture } from '../fixtures.ts';
import type { Exchange } from '../http.ts';
import { alphaIoU, inspectImage, maskDifference, transparentShare, type ImageInfo } from '../image.ts';
import { ensure, expectStatus, fail, skip } from '../outcome.ts';

/** One sync removal (memoised per fixture and options), decoded. */
export function removeSync(
  ctx: CheckContext,
  fixture: Fixture,
  extra: Record<string, unknown> = {},
): Promise<{ ex: Exchange; img: ImageInfo }> {
  return ctx.memo(`v1:${fixture.name}:${JSON.stringify(extra)}`, async () => {
    const ex = await ctx.http.post('/v1/bg-removal', { json: { image: fixture.base64, ...extra } });
    expectStatus(ex, 200, `POST /v1/bg-removal (${fixture.name})`);
    const img = await inspectImage(ex.body);
    if (!img) fail(`the ${fixture.name} result does not decode as an image`, ex);
    return { ex, img };
  });
}

/** Fails unless an image has the fixture's size and an alpha channel that is neither empty nor full. */
export function expectCutOut(img: ImageInfo, fixture: Fixture, ex: Exchange, what: string): void {
  ensure(
    img.width === fixture.width && img.height === fixture.height,
    `${what}: ${img.width}×${img.height}, the input is ${fixture.width}×${fixture.height}`,
    ex,
  );
  ensure(img.hasAlpha, `${what}: no alpha channel`, ex);
  const share = transparentShare(img.alpha);
  ensure(share > 0.01 && share < 0.99, `${what}: alpha is trivial (${(share * 100).toFixed(1)}% transparent)`, ex);
}

export const v1Checks: Check[] = [
  {
    id: 'V1-PNG',
    level: 'MUST',
    clause: 'V1-IMAGE',
    profiles: CORE,
    sentence: 'A sync removal MUST answer 200 `image/png` whose bytes are a PNG.',
    async run(ctx) {
      const { ex, img } = await removeSync(ctx, ctx.fixtures.disc);
      ensure(
        ex.contentType.split(';')[0]!.trim() === 'image/png',
        `content type is '${ex.contentType}', not image/png`,
        ex,
      );
      ensure(img.format === 'png', `the bytes are ${img.format}, not PNG`, ex);
    },
  },
  {
    id: 'V1-DIMENSIONS',
    level: 'MUST',
    clause: 'V1-IMAGE',
    profiles: CORE,
    sentence: 'The sync result MUST have the width and height of the input image.',
    async run(ctx) {
      for (const f of [ctx.fixtures.disc, ctx.fixtures.roundedOnGradient]) {
        const { ex, img } = await removeSync(ctx, f);
        ensure(
          img.width === f.width && img.height === f.height,
          `${f.name}: ${img.width}×${img.height}, the input is ${f.width}×${f.height}`,
          ex,
        );
      }
    },
  },
  {
    id: 'V1-ALPHA',
    level: 'MUST',
    clause: 'V1-IMAGE',
    profiles: CORE,
    sentence: 'The sync result MUST carry an alpha channel that is neither fully opaque nor fully transparent.',
    async run(ctx) {
      const { ex, img } = await removeSync(ctx, ctx.fixtures.disc);
      expectCutOut(img, ctx.fixtures.disc, ex, 'disc');
    },
  },
  {
    id: 'V1-WEBP',
    level: 'MUST',
    clause: 'OUTPUT-OPTIONS',
    extension: 'output-options',
    profiles: CORE,
    sentence: 'With `format` `webp` the sync result MUST be `image/webp`, a WebP of the input size with alpha.',
    async run(ctx) {
      const { ex, img } = await removeSync(ctx, ctx.fixtures.disc, { format: 'webp' });
      ensure(
        ex.contentType.split(';')[0]!.trim() === 'image/webp',
        `content type is '${ex.contentType}', not image/webp`,
        ex,
      );
      ensure(img.format === 'webp', `the bytes are ${img.format}, not WebP`, ex);
      expectCutOut(img, ctx.fixtures.disc, ex, 'disc as WebP');
    },
  },
  {
    id: 'V1-QUALITY-IOU',
    level: 'SHOULD',
    clause: 'V1-QUALITY',
    profiles: CORE,
    sentence:
      'On synthetic images with a known alpha the result SHOULD reach an alpha IoU of at least 0.9 at threshold 0.5.',
    async run(ctx) {
      const notes: string[] = [];
      for (const f of [ctx.fixtures.disc, ctx.fixtures.roundedOnGradient]) {
        const { ex, img } = await removeSync(ctx, f);
        ensure(img.width === f.width && img.height === f.height, `${f.name}: size differs from the input`, ex);
        const iou = alphaIoU(img.alpha, f.alpha);
        ensure(iou >= 0.9, `${f.name}: alpha IoU ${iou.toFixed(3)} < 0.9`, ex);
        notes.push(`${f.name} IoU ${iou.toFixed(3)}`);
      }
      return notes.join(', ');
    },
  },
  {
    id: 'V1-HUMAN-DIFFERS',
    level: 'SHOULD',
    clause: 'V1-HUMAN',
    profiles: CORE,
    sentence:
      'On a scene with a (synthetic) person and a box, `method` `human` SHOULD give a different alpha from `object`; skipped when `object` does not keep the box, since then the scene cannot show a difference.',
    async run(ctx) {
      const f = ctx.fixtures.personScene;
      const obj = await removeSync(ctx, f, { method: 'object' });
      const hum = await removeSync(ctx, f, { method: 'human' });
      ensure(obj.img.width === f.width && hum.img.width === f.width, 'size differs from the input', hum.ex);
      const b = personSceneBox;
      let kept = 0;
      let total = 0;
      for (let y = b.y0 + 10; y <= b.y1 - 10; y++) {
        for (let x = b.x0 + 10; x <= b.x1 - 10; x++) {
          total++;
          if (obj.img.alpha[y * f.width + x]! >= 128) kept++;
        }
      }
      if (kept / total < 0.5)
        skip('`object` already drops the box in this synthetic scene, so human vs object cannot be told apart with it');
      const diff = maskDifference(obj.img.alpha, hum.img.alpha);
      ensure(
        diff >= 0.02,
        `human and object alphas differ on only ${(diff * 100).toFixed(2)}% of pixels (a synthetic figure may not look like a person to a real model)`,
        hum.ex,
      );
      return `alphas differ on ${(diff * 100).toFixed(1)}% of pixels`;
    },
  },
];
