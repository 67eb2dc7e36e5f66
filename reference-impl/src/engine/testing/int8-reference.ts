/** Exact integer reference for a uint8 × int8 QLinearConv (NCHW, square kernel, stride 1), and the same with x86's 16-bit pair saturation. */
// The exact form is what every CPU must compute for a graph whose weights cannot saturate: int32 sums of
// (x − zx)·w plus the int32 bias, requantized once. The saturating form emulates VPMADDUBSW (onnxruntime's
// u8×s8 kernels on AVX2 and AVX-512 without VNNI): raw uint8 codes times int8 weights, each adjacent pair
// of products clamped to int16 before the int32 sum, the zero point subtracted afterwards from Σw.

/** One quantized Conv's data and parameters; `w` is [cout][cin][k][k], `x` is [cin][h][w]. */
export interface QConv {
  x: Uint8Array;
  zx: number;
  sx: number;
  w: Int8Array;
  sw: Float32Array;
  bias: Int32Array;
  cin: number;
  cout: number;
  k: number;
  pad: number;
  h: number;
  width: number;
  sy: number;
  zy: number;
  /** Clamp the output at the zero point (a Relu folded into the requantization). */
  relu?: boolean;
}

const clamp16 = (v: number) => Math.max(-32768, Math.min(32767, v));

/** Round half to even, as onnxruntime's requantization (nearbyint) does. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The int32 accumulators [cout][h][w]; `saturate` pairs the products along (cin, ky, kx) as a K-major packing would. */
export function accumulate(c: QConv, saturate = false): Float64Array {
  const { x, zx, w, bias, cin, cout, k, pad, h, width } = c;
  const acc = new Float64Array(cout * h * width);
  const kk = cin * k * k;
  const xs = new Int32Array(kk),
    ws = new Int32Array(kk);
  for (let o = 0; o < cout; o++) {
    let wsum = 0;
    for (let i = 0; i < kk; i++) wsum += w[o * kk + i]!;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < width; xx++) {
        // The im2col row for this output pixel: padding reads the zero point (the value 0 in real terms).
        let n = 0;
        for (let ci = 0; ci < cin; ci++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = y + ky - pad,
                ix = xx + kx - pad;
              xs[n] = iy < 0 || iy >= h || ix < 0 || ix >= width ? zx : x[(ci * h + iy) * width + ix]!;
              ws[n] = w[o * kk + n]!;
              n++;
            }
        let sum = 0;
        if (saturate) {
          for (let i = 0; i < kk; i += 2) sum += clamp16(xs[i]! * ws[i]! + (i + 1 < kk ? xs[i + 1]! * ws[i + 1]! : 0));
          sum -= zx * wsum;
        } else {
          for (let i = 0; i < kk; i++) sum += (xs[i]! - zx) * ws[i]!;
        }
        acc[(o * h + y) * width + xx] = sum + bias[o]!;
      }
    }
  }
  return acc;
}

/** The Conv's uint8 output [cout][h][w]: accumulators × sx·sw_c / sy, rounded half to even, plus zy, clamped. */
export function qconv(c: QConv, saturate = false): Uint8Array {
  const acc = accumulate(c, saturate);
  const out = new Uint8Array(acc.length);
  const plane = c.h * c.width;
  for (let i = 0; i < acc.length; i++) {
    const o = Math.floor(i / plane);
    const scale = Math.fround(Math.fround(c.sx * c.sw[o]!) / c.sy);
    const v = roundEven(Math.fround(acc[i]! * scale)) + c.zy;
    out[i] = Math.max(c.relu ? c.zy : 0, Math.min(255, v));
  }
  return out;
}
