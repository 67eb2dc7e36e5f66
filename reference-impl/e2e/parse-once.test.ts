/**
 * Parse once at the edge: each request's image header is read once and its options are checked once, on
 * v1 and v2, JSON and multipart. Counted where it happens: sharp's header reads (the probe) and the
 * contract's body validation, plus the edge's one reading of the validated body.
 */
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { multipart, pngOf } from '../testing/fixtures.ts';
import { KEY, makeApp, type Harness } from '../testing/harness.ts';

const counts = vi.hoisted(() => ({ validations: 0, readings: 0 }));

vi.mock('../src/http/validation.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/http/validation.ts')>();
  return {
    ...real,
    validatorCompiler: () => {
      const compile = real.validatorCompiler();
      return (route: Parameters<typeof compile>[0]) => {
        const validate = compile(route);
        if (route.httpPart !== 'body') return validate;
        return Object.assign((data: unknown) => {
          counts.validations++;
          return (validate as (d: unknown) => unknown)(data);
        }, validate);
      };
    },
  };
});

vi.mock('../src/http/submission.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/http/submission.ts')>();
  return {
    ...real,
    removalRequestOf: (body: unknown) => {
      counts.readings++;
      return real.removalRequestOf(body);
    },
  };
});

let h: Harness;
let probes: ReturnType<typeof vi.spyOn>;
beforeEach(async () => {
  h = await makeApp();
  counts.validations = 0;
  counts.readings = 0;
  probes = vi.spyOn(sharp.prototype as { metadata: () => unknown }, 'metadata');
});
afterEach(async () => {
  probes.mockRestore();
  await h.app.close();
});

async function v2Result(id: string) {
  for (let i = 0; i < 200; i++) {
    const res = await h.app.inject({ url: `/v2/requests/${id}`, headers: { 'x-api-key': KEY } });
    if (res.statusCode !== 202) return res;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('still pending');
}

const cases = [
  { name: 'v1 JSON', url: '/v1/bg-removal', multipart: false },
  { name: 'v1 multipart', url: '/v1/bg-removal', multipart: true },
  { name: 'v2 JSON', url: '/v2/bg-removal', multipart: false },
  { name: 'v2 multipart', url: '/v2/bg-removal', multipart: true },
];

describe('one probe and one options check per request', () => {
  it.each(cases)('$name', async ({ url, multipart: isMultipart }) => {
    const png = await pngOf(16, 12);
    const options = { method: 'object', format: 'webp', mask_only: 'false', bg_color: '#ffffff' };
    const request = isMultipart
      ? (() => {
          const m = multipart([
            { name: 'image', filename: 'x.png', type: 'image/png', data: png },
            ...Object.entries(options).map(([name, value]) => ({ name, value })),
          ]);
          return { payload: m.payload, headers: { ...m.headers, 'x-api-key': KEY } };
        })()
      : { payload: { image: png.toString('base64'), ...options, mask_only: false }, headers: { 'x-api-key': KEY } };
    const res = await h.app.inject({ method: 'POST', url, ...request });
    expect(res.statusCode, res.body).toBe(200);
    if (url.startsWith('/v2/')) {
      const result = await v2Result(res.json().request_id);
      expect(result.statusCode, result.body).toBe(200);
    } else {
      expect(res.headers['content-type']).toBe('image/webp');
    }
    expect(probes).toHaveBeenCalledTimes(1);
    expect(counts.validations).toBe(1);
    expect(counts.readings).toBe(1);
  });
});
