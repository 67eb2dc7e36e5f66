/** Hand-built uncompressed TIFFs with extra samples (RGB + n, grey + n): sharp's own TIFF writer cannot make them. */

/** A width×height 8-bit TIFF with `colour` samples (3 RGB, 1 grey) plus `extra` unspecified extra samples. */
export function tiffWithExtraSamples(
  width: number,
  height: number,
  colour: 1 | 3,
  extra: number,
  alphaFirst = false,
): Buffer {
  const spp = colour + extra;
  const pixels = Buffer.alloc(width * height * spp);
  for (let i = 0; i < width * height; i++) {
    for (let s = 0; s < spp; s++) pixels[i * spp + s] = s < colour ? 40 + 60 * s : 200;
  }
  // Tags (sorted): width, height, bits, compression, photometric, strip offsets, spp, rows, byte counts, planar, extra samples.
  const entries: [tag: number, type: number, count: number, value: number | number[]][] = [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, spp, Array(spp).fill(8)],
    [259, 3, 1, 1],
    [262, 3, 1, colour === 3 ? 2 : 1],
    [273, 4, 1, 0],
    [277, 3, 1, spp],
    [278, 4, 1, height],
    [279, 4, 1, pixels.length],
    [284, 3, 1, 1],
    [
      338,
      3,
      extra,
      Array(extra)
        .fill(0)
        .map((_, i) => (alphaFirst && i === 0 ? 2 : 0)),
    ],
  ];
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extraOffset = ifdOffset + ifdSize;
  const extras: Buffer[] = [];
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(entries.length, 0);
  const dataOffset = (() => {
    let o = extraOffset;
    for (const [, type, count] of entries) if (count * (type === 3 ? 2 : 4) > 4) o += count * (type === 3 ? 2 : 4);
    return o;
  })();
  entries.forEach(([tag, type, count, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(count, at + 4);
    const values = tag === 273 ? [dataOffset] : Array.isArray(value) ? value : [value];
    const size = type === 3 ? 2 : 4;
    const buf = Buffer.alloc(Math.max(4, count * size));
    values.forEach((v, j) => (size === 2 ? buf.writeUInt16LE(v, j * 2) : buf.writeUInt32LE(v, j * 4)));
    if (count * size > 4) {
      ifd.writeUInt32LE(extraOffset, at + 8);
      extras.push(buf);
      extraOffset += buf.length;
    } else buf.copy(ifd, at + 8, 0, 4);
  });
  const header = Buffer.from([0x49, 0x49, 0x2a, 0x00, ifdOffset, 0, 0, 0]);
  return Buffer.concat([header, ifd, ...extras, pixels]);
}
