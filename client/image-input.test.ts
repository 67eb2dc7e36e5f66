import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDataUri, toImageField } from './image-input.ts';

const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

describe('toImageField', () => {
  it('passes URLs and data URIs through', async () => {
    expect(await toImageField('https://example.com/a.jpg')).toBe('https://example.com/a.jpg');
    expect(await toImageField('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
    expect(await toImageField(new URL('http://example.com/b.png'))).toBe('http://example.com/b.png');
  });
  it('encodes bytes as raw base64', async () => {
    expect(await toImageField(bytes)).toBe(bytes.toString('base64'));
    expect(await toImageField(new Uint8Array(bytes))).toBe(bytes.toString('base64'));
    expect(await toImageField(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toBe(
      bytes.toString('base64'),
    );
    // A view into a larger buffer must encode only its own bytes.
    expect(await toImageField(bytes.subarray(1, 3))).toBe(bytes.subarray(1, 3).toString('base64'));
  });
  it('reads a file path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-img-'));
    const path = join(dir, 'photo.png');
    await writeFile(path, bytes);
    expect(await toImageField(path)).toBe(bytes.toString('base64'));
  });
  it('accepts raw base64 and rejects a missing file', async () => {
    expect(await toImageField('iVBORw0KGgo=')).toBe('iVBORw0KGgo=');
    await expect(toImageField('./no/such/photo.png')).rejects.toThrow(/no such file/);
    await expect(toImageField('')).rejects.toThrow(TypeError);
  });
});

describe('decodeDataUri', () => {
  it('decodes base64 and percent-encoded payloads', () => {
    expect(decodeDataUri(`data:image/png;base64,${bytes.toString('base64')}`)).toEqual({
      image: bytes,
      contentType: 'image/png',
    });
    expect(decodeDataUri('data:,a%20b')).toEqual({
      image: Buffer.from('a b'),
      contentType: 'text/plain;charset=US-ASCII',
    });
  });
});
