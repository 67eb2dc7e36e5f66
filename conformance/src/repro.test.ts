/** Reproduction commands and HAR entries built from recorded exchanges: keys become variables, bodies go where they fit. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import harValidator from 'har-validator';
import { describe, expect, it } from 'vitest';
import { toHar } from './har.ts';
import type { Exchange } from './http.ts';
import { keyVariables, reproduce, shellQuote, toCurl } from './repro.ts';

const keys = keyVariables({ apiKey: 'sk-main', secondApiKey: 'sk-other' });

function exchange(over: Partial<Exchange> & { request?: Exchange['request'] }): Exchange {
  return {
    seq: 7,
    check: 'X',
    method: 'GET',
    url: 'http://h:1/v2/requests/abc/status',
    path: '/v2/requests/abc/status',
    status: 200,
    contentType: 'application/json',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"status":"FAILED"}'),
    json: { status: 'FAILED' },
    ms: 3.2,
    violations: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    request: { headers: { accept: '*/*', 'x-api-key': 'sk-main' } },
    ...over,
  };
}

describe('toCurl', () => {
  it.each([
    [
      'the main key as $BGR_API_KEY',
      exchange({}),
      `curl -sS -i -X GET 'http://h:1/v2/requests/abc/status' -H 'accept: */*' -H "x-api-key: $BGR_API_KEY"`,
    ],
    [
      'another given key as its own variable',
      exchange({ request: { headers: { 'x-api-key': 'sk-other' } } }),
      `-H "x-api-key: $BGR_SECOND_API_KEY"`,
    ],
    [
      'a made-up wrong key as written (it is no secret)',
      exchange({ request: { headers: { 'x-api-key': 'wrong-key' } } }),
      `-H 'x-api-key: wrong-key'`,
    ],
    [
      'a small JSON body inline, quotes escaped',
      exchange({
        method: 'POST',
        request: { headers: { 'content-type': 'application/json' }, body: `{"image":"it's"}` },
      }),
      `--data-binary '{"image":"it'\\''s"}'`,
    ],
    [
      'a large body from its file',
      exchange({ method: 'POST', request: { headers: {}, body: 'x'.repeat(5000) } }),
      `--data-binary @'/tmp/b.json'`,
    ],
  ])('writes %s', (_what, ex, expected) => {
    const curl = toCurl(ex, keys, '/tmp/b.json');
    expect(curl).toContain(expected);
    expect(curl).not.toContain('sk-main');
  });

  it('quotes for a POSIX shell', () => expect(shellQuote(`a'b $X`)).toBe(`'a'\\''b $X'`));
});

describe('reproduce', () => {
  it('writes binary and large bodies beside the report, byte for byte, and names them by absolute path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-repro-'));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const [inline, binary] = await reproduce(
      [
        exchange({
          seq: 1,
          method: 'POST',
          request: { headers: { 'content-type': 'application/json' }, body: '{"image":"x"}' },
        }),
        exchange({
          seq: 2,
          method: 'POST',
          request: { headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: png },
        }),
      ],
      keys,
      dir,
    );
    expect(inline!.curl).toContain(`--data-binary '{"image":"x"}'`);
    const file = join(dir, '2-request.multipart');
    expect(binary!.curl).toContain(`--data-binary @'${file}'`);
    expect(await readFile(file)).toEqual(png);
  });
});

describe('toHar', () => {
  it('is valid HAR 1.2 (har-validator): binary bodies base64, keys redacted', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    const har = toHar(
      [
        exchange({}),
        exchange({
          seq: 8,
          method: 'POST',
          url: 'http://h:1/v1/bg-removal?x=1',
          contentType: 'image/png',
          headers: { 'content-type': 'image/png' },
          body: png,
          json: undefined,
          request: {
            headers: { 'x-api-key': 'sk-other', 'content-type': 'multipart/form-data; boundary=b' },
            body: png,
          },
        }),
      ],
      keys,
      { name: '@bgr/conformance', version: '0.1.0' },
    );
    await expect(harValidator.har(har)).resolves.toBeTruthy();
    const [json, image] = har.log.entries;
    expect(json!.response.content).toMatchObject({ text: '{"status":"FAILED"}', mimeType: 'application/json' });
    expect(image!.response.content).toMatchObject({
      encoding: 'base64',
      text: png.toString('base64'),
      size: png.length,
    });
    expect(image!.request.postData).toMatchObject({ text: png.toString('base64'), comment: 'base64' });
    expect(image!.request.queryString).toEqual([{ name: 'x', value: '1' }]);
    expect(JSON.stringify(har)).not.toMatch(/sk-main|sk-other/);
    expect(image!.request.headers).toContainEqual({ name: 'x-api-key', value: '$BGR_SECOND_API_KEY' });
  });

  it('is rejected by the validator when broken (the validator can fail)', async () => {
    const har = toHar([exchange({})], keys, { name: 'x', version: '1' }) as unknown as {
      log: { entries: { request: { method?: string } }[] };
    };
    delete har.log.entries[0]!.request.method;
    await expect(harValidator.har(har)).rejects.toThrow();
  });
});
