/** `method: "human"`: keeps only the ISNet alpha that lies on a person, using a low-res person mask. */
import type { Mask8 } from './compose.ts';

export interface MaskF {
  data: Float32Array;
  width: number;
  height: number;
}

/** Max filter (separable square window): grows the person mask so hair and hands at its soft edge survive. */
export function dilate(mask: MaskF, radius: number): MaskF {
  const { width: w, height: h, data } = mask;
  if (radius <= 0) return mask;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      for (let k = Math.max(0, x - radius), e = Math.min(w - 1, x + radius); k <= e; k++)
        m = Math.max(m, data[y * w + k]!);
      tmp[y * w + x] = m;
    }
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let m = 0;
      for (let k = Math.max(0, y - radius), e = Math.min(h - 1, y + radius); k <= e; k++)
        m = Math.max(m, tmp[k * w + x]!);
      out[y * w + x] = m;
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * alpha × (dilated, bilinearly upsampled person mask). The person mask only decides *which* object stays;
 * ISNet keeps providing the fine edges, so the selfie mask is remapped so that ≥ `full` counts as fully
 * person and ≤ `none` as background (its soft low-res values would otherwise dim the person).
 */
export function combineWithPerson(
  alpha: Mask8,
  person: MaskF,
  opts: { radius?: number; none?: number; full?: number } = {},
): Mask8 {
  const radius = opts.radius ?? Math.max(1, Math.round(person.width / 64));
  const none = opts.none ?? 0.15;
  const full = opts.full ?? 0.5;
  const p = dilate(person, radius);
  const { width: aw, height: ah } = alpha;
  const out = new Uint8Array(aw * ah);
  const sx = p.width / aw;
  const sy = p.height / ah;
  for (let y = 0; y < ah; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), p.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, p.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < aw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), p.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, p.width - 1);
      const wx = fx - x0;
      const v =
        (p.data[y0 * p.width + x0]! * (1 - wx) + p.data[y0 * p.width + x1]! * wx) * (1 - wy) +
        (p.data[y1 * p.width + x0]! * (1 - wx) + p.data[y1 * p.width + x1]! * wx) * wy;
      const m = Math.min(1, Math.max(0, (v - none) / (full - none)));
      out[y * aw + x] = alpha.data[y * aw + x]! * m + 0.5;
    }
  }
  return { data: out, width: aw, height: ah };
}
