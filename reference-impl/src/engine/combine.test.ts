import { describe, expect, it } from 'vitest';
import { combineWithPerson, dilate, type MaskF } from './combine.ts';

function square(size: number, x0: number, y0: number, x1: number, y1: number, v = 1): MaskF {
  const data = new Float32Array(size * size);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * size + x] = v;
  return { data, width: size, height: size };
}

describe('combineWithPerson', () => {
  it('dilates by the radius in each direction', () => {
    const m = dilate(square(16, 6, 6, 8, 8), 2);
    expect(m.data[4 * 16 + 4]).toBe(1);
    expect(m.data[3 * 16 + 4]).toBe(0);
    expect(m.data[9 * 16 + 9]).toBe(1);
    expect(m.data[10 * 16 + 10]).toBe(0);
  });

  it('keeps the object under the person mask and drops the one beside it', () => {
    // alpha 64×64 with two objects: left (a "person") and right (a "car"); person mask 16×16 covers the left.
    const alpha = new Uint8Array(64 * 64);
    for (let y = 10; y < 54; y++) {
      for (let x = 4; x < 24; x++) alpha[y * 64 + x] = 255;
      for (let x = 40; x < 60; x++) alpha[y * 64 + x] = 200;
    }
    const person = square(16, 1, 3, 6, 13, 0.8);
    const out = combineWithPerson({ data: alpha, width: 64, height: 64 }, person);
    expect(out.width).toBe(64);
    expect(out.data[30 * 64 + 12]).toBe(255); // inside the person: kept at full strength (0.8 counts as person)
    expect(out.data[30 * 64 + 50]).toBe(0); // the other object: gone
    expect(out.data[5 * 64 + 12]).toBe(0); // background stays background
    // The dilation keeps the person's edge where the low-res mask falls just short of it.
    expect(out.data[30 * 64 + 23]).toBeGreaterThan(200);
  });

  it('never raises alpha above the ISNet value', () => {
    const alpha = new Uint8Array(32 * 32).fill(100);
    const out = combineWithPerson({ data: alpha, width: 32, height: 32 }, square(8, 0, 0, 8, 8, 1));
    expect(Math.max(...out.data)).toBe(100);
    expect(Math.min(...out.data)).toBe(100);
  });
});
