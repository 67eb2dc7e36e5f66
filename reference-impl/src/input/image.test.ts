/** Base64/data-URI decoding and format sniffing for the image input. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { bmp, pngDeclaring, pngOf, svg } from '../../testing/fixtures.ts';
import { checkImage, decodeBase64, decodeDataUri, sniff } from './image.ts';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as ApiError).code;
  }
}

describe('decodeBase64', () => {
  it.each([
    ['aGVsbG8=', 'ok'],
    ['aGVsbG8', 'ok'],
    ['aGVs\nbG8=', 'ok'],
    ['a-_b', 'ok'],
    ['', 'invalid_parameter'],
    ['aGVsbG8==', 'invalid_parameter'],
    ['a', 'invalid_parameter'],
    ['aGVsb', 'invalid_parameter'],
    ['aGk=aGk=', 'invalid_parameter'],
    ['a+b-', 'invalid_parameter'],
    ['hé!', 'invalid_parameter'],
  ])('%j → %s', (s, expected) => expect(code(() => decodeBase64(s, 'image'))).toBe(expected));

  it('round-trips both alphabets', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x00, 0x01]);
    expect(decodeBase64(bytes.toString('base64'), 'x').equals(bytes)).toBe(true);
    expect(decodeBase64(bytes.toString('base64url'), 'x').equals(bytes)).toBe(true);
  });

  it('takes canonical base64 of a large image in either alphabet, and still refuses one wrong character in it', () => {
    const bytes = Buffer.from(Array.from({ length: 100_003 }, (_, i) => (i * 2654435761) >>> 24));
    for (const alphabet of ['base64', 'base64url'] as const) {
      const s = bytes.toString(alphabet);
      expect(decodeBase64(s, 'x').equals(bytes)).toBe(true);
      const at = (c: string) => s.slice(0, 50_000) + c + s.slice(50_001);
      expect(code(() => decodeBase64(at('!'), 'x'))).toBe('invalid_parameter');
      expect(code(() => decodeBase64(at('='), 'x'))).toBe('invalid_parameter');
      // A character of the other alphabet: mixing the two is refused.
      expect(code(() => decodeBase64(at(alphabet === 'base64' ? '-' : '+'), 'x'))).toBe('invalid_parameter');
      expect(decodeBase64(`${s.slice(0, 50_000)}\n${s.slice(50_000)}`, 'x').equals(bytes)).toBe(true);
    }
  });
});

describe('decodeDataUri', () => {
  it.each([
    ['data:image/png;base64,aGk=', 'ok'],
    ['data:;base64,aGk=', 'ok'],
    ['DATA:IMAGE/JPEG;BASE64,aGk=', 'ok'],
    ['data:text/html;base64,aGk=', 'unsupported_media_type'],
    ['data:image/svg+xml;base64,aGk=', 'unsupported_media_type'],
    ['data:image/png,aGk=', 'invalid_parameter'],
    ['data:image/png;base64', 'invalid_parameter'],
  ])('%s → %s', (s, expected) => expect(code(() => decodeDataUri(s))).toBe(expected));
});

describe('sniff and checkImage', () => {
  it('sniffs formats from magic numbers', async () => {
    expect(sniff(await pngOf())).toBe('png');
    expect(sniff(svg)).toBe('svg');
    expect(sniff(Buffer.from('  \n<svg xmlns="x"></svg>'))).toBe('svg');
    expect(sniff(bmp)).toBe('unsupported');
    expect(sniff(Buffer.from('hello'))).toBe('unknown');
  });

  it('reads size from the header only and enforces maxPixels', async () => {
    await expect(checkImage(pngDeclaring(100_000, 100_000), 50e6)).rejects.toMatchObject({ code: 'image_too_large' });
    await expect(checkImage(await pngOf(10, 10), 99)).rejects.toMatchObject({ code: 'image_too_large' });
    expect(await checkImage(await pngOf(10, 10), 100)).toMatchObject({ format: 'png', width: 10, height: 10 });
  });
});
