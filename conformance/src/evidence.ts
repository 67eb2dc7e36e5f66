/** Image evidence for the HTML report: each result image a check saw, its input, and where the alpha is known, the expected mask and a diff overlay. */
import sharp from 'sharp';
import type { Fixture, Fixtures } from './fixtures.ts';
import type { Exchange } from './http.ts';
import { alphaIoU, inspectImage, type ImageInfo } from './image.ts';

export interface ImageEvidence {
  /** Which exchange answered it (`POST /v1/bg-removal → 200`). */
  label: string;
  seq: number;
  /** Data URIs, ready for an `<img>`. */
  input?: string;
  output: string;
  expectedMask?: string;
  /** Red: kept but should be gone; blue: gone but should be kept (alpha at 128). */
  diff?: string;
  iou?: number;
}

const dataUri = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;

/** The fixture a request sent (inline base64 in JSON, or the file part of a multipart body), and the method it asked for. */
function sentFixture(ex: Exchange, fixtures: Fixture[]): { fixture: Fixture; method: unknown } | undefined {
  const body = ex.request.body;
  if (body === undefined) return undefined;
  const text = typeof body === 'string' ? body : undefined;
  for (const fixture of fixtures) {
    if (text?.includes(fixture.base64)) {
      const method = (() => {
        try {
          return (JSON.parse(text) as { method?: unknown }).method;
        } catch {
          return undefined;
        }
      })();
      return { fixture, method };
    }
    if (Buffer.isBuffer(body) && body.includes(fixture.png))
      return { fixture, method: /name="method"\r\n\r\nhuman/.test(body.toString('latin1')) ? 'human' : undefined };
  }
  return undefined;
}

/** The alpha a fixture should get for a method (the person scene's known alpha is the person: `human` only). */
function expectedAlpha(f: Fixture, method: unknown): Uint8Array | undefined {
  return f.name === 'person-scene' && method !== 'human' ? undefined : f.alpha;
}

async function maskPng(alpha: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(alpha), { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

async function diffPng(out: ImageInfo, expected: Uint8Array): Promise<Buffer> {
  const rgba = Buffer.alloc(out.width * out.height * 4);
  for (let i = 0; i < expected.length; i++) {
    const got = out.alpha[i]! >= 128;
    const want = expected[i]! >= 128;
    if (got === want) continue;
    rgba.set(got ? [230, 30, 30, 190] : [30, 90, 255, 190], i * 4);
  }
  return sharp(rgba, { raw: { width: out.width, height: out.height, channels: 4 } })
    .png()
    .toBuffer();
}

/** Evidence for every exchange that answered an image (at most `limit`), paired with the fixture sent for it. */
export async function imageEvidence(
  exchanges: readonly Exchange[],
  fixtures: Fixtures,
  limit = 4,
): Promise<ImageEvidence[]> {
  const known = [fixtures.disc, fixtures.roundedOnGradient, fixtures.personScene];
  const out: ImageEvidence[] = [];
  // A v2 output is fetched by another exchange than the submit that sent the input: the last input seen stands for it.
  let lastSent: ReturnType<typeof sentFixture>;
  for (const ex of exchanges) {
    lastSent = sentFixture(ex, known) ?? lastSent;
    if (out.length >= limit || !/^image\//.test(ex.contentType) || ex.status >= 300) continue;
    const img = await inspectImage(ex.body);
    if (!img) continue;
    const sent = sentFixture(ex, known) ?? lastSent;
    const mime = img.format === 'webp' ? 'image/webp' : 'image/png';
    const e: ImageEvidence = {
      label: `${ex.method} ${ex.path} → ${ex.status}`,
      seq: ex.seq,
      output: dataUri(mime, ex.body),
    };
    if (sent) {
      e.input = dataUri('image/png', sent.fixture.png);
      const alpha = expectedAlpha(sent.fixture, sent.method);
      if (alpha && img.width === sent.fixture.width && img.height === sent.fixture.height) {
        e.expectedMask = dataUri('image/png', await maskPng(alpha, img.width, img.height));
        e.diff = dataUri('image/png', await diffPng(img, alpha));
        e.iou = alphaIoU(img.alpha, alpha);
      }
    }
    out.push(e);
  }
  return out;
}
