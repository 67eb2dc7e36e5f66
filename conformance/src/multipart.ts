/** Submits as `multipart/form-data` (the `multipart` extension): the fixture as the file part `image`. */
import type { CheckContext } from './context.ts';
import type { Fixture } from './fixtures.ts';
import type { Exchange } from './http.ts';

/** POSTs the fixture as a multipart form to one of the submit operations. */
export async function postMultipart(
  ctx: CheckContext,
  path: '/v1/bg-removal' | '/v2/bg-removal',
  fixture: Fixture,
): Promise<Exchange> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(fixture.png)], { type: 'image/png' }), `${fixture.name}.png`);
  // A Response serialises a FormData exactly as fetch sends it, boundary included.
  const res = new Response(form);
  return ctx.http.post(path, {
    body: Buffer.from(await res.arrayBuffer()),
    contentType: res.headers.get('content-type')!,
  });
}

/** The disc fixture removed synchronously from a multipart form (once per run: detection and check share it). */
export function syncMultipart(ctx: CheckContext): Promise<Exchange> {
  return ctx.memo('v1-multipart', () => postMultipart(ctx, '/v1/bg-removal', ctx.fixtures.disc));
}
