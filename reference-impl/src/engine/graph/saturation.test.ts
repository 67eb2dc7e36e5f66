import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { accumulate, qconv, type QConv, roundEven } from '../testing/int8-reference.ts';
import { histogramsOf, paramsAt } from './calibrate.ts';
import { OUTPUT } from './fp32.ts';
import { FULL_WEIGHT_MAX, toInt8 } from './int8.ts';
import {
  decodeModel,
  encodeModel,
  FLOAT,
  floatData,
  INT32,
  INT8,
  type Model,
  node,
  onnx,
  rawBytes,
  tensor,
  UINT8,
} from './onnx.ts';
import { AVX2_LABEL, canEmulateAvx2, runOrt as runOrtOn } from '../testing/emulated-cpu.ts';
import { int8WeightRanges, SAFE_WEIGHT_MAX, saturatingWeights } from './saturation.ts';

// A three-Conv chain (input → c1 → Relu → c2 → Relu → logits Conv → Sigmoid) in float32, quantized by the
// recipe. Channel 0 of c1 and c2 has all-positive weights and the input has saturated bright patches, so
// with full-range int8 weights pairs of uint8 × int8 products exceed the int16 range: the case where CPUs
// without VNNI (VPMADDUBSW) and with VNNI used to give different outputs.
const S = 12,
  C = 8;
const conv = (name: string, x: string, y: string) =>
  node('Conv', [x, `${name}.w`, `${name}.b`], [y], name, [
    { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] },
    { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [3, 3] },
  ]);
function weights(name: string, dims: number[], seed: number): ReturnType<typeof tensor> {
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  const w = Float32Array.from({ length: dims[0]! * per }, (_, i) =>
    i < per ? 0.3 + 0.1 * Math.abs(Math.sin(i)) : Math.sin(seed * 7.1 + i * 1.3) * 0.4,
  );
  return tensor(name, FLOAT, dims, w);
}
function chainModel(): Model {
  const io = (name: string, c: number) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [1, c, S, S].map((dimValue) => ({ dimValue })) } } },
  });
  const init = [
    weights('c1.w', [C, 3, 3, 3], 1),
    weights('c1.b', [C], 2),
    weights('c2.w', [C, C, 3, 3], 3),
    weights('c2.b', [C], 4),
    weights('side.w', [1, C, 3, 3], 5),
    weights('side.b', [1], 6),
  ];
  const nodes = [
    conv('c1', 'input', 'c1'),
    node('Relu', ['c1'], ['r1'], 'relu1'),
    conv('c2', 'r1', 'c2'),
    node('Relu', ['c2'], ['r2'], 'relu2'),
    conv('side', 'r2', 'logits'),
    node('Sigmoid', ['logits'], [OUTPUT], 'sig'),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 15 }],
    graph: { name: 'chain', node: nodes, initializer: init, input: [io('input', 3)], output: [io(OUTPUT, 1)] },
  });
  return decodeModel(encodeModel(model));
}
/** Inputs in [−0.5, 0.5] (the model's range) with a block at +0.5, which quantizes to code 255. */
const inputs = (n: number) =>
  Array.from({ length: n }, (_, k) =>
    Float32Array.from({ length: 3 * S * S }, (_, i) => {
      const y = Math.floor((i % (S * S)) / S),
        x = i % S;
      return y < 6 && x < 6 ? 0.5 : Math.sin(i * 0.37 + k) * 0.5;
    }),
  );

async function quantized(weightMax?: number): Promise<Model> {
  const bytes = encodeModel(chainModel());
  const hists = await histogramsOf(
    bytes,
    inputs(3).map((data) => ({ data, dims: [1, 3, S, S] })),
    { groups: 1 },
  );
  return toInt8(decodeModel(bytes), paramsAt(hists, 100), weightMax ? { weightMax } : {});
}

/** The recipe's tensors as the reference reads them. */
function initializers(model: Model) {
  const t = new Map(model.graph!.initializer!.map((i) => [i.name!, i]));
  const get = (name: string) =>
    t.get(name) ??
    (() => {
      throw new Error(`no initializer ${name}`);
    })();
  const f32 = (name: string) => floatData(get(name));
  const u8 = (name: string) => rawBytes(get(name))[0]!;
  return {
    act: (name: string) => ({ s: f32(`${name}_scale`)[0]!, z: u8(`${name}_zero_point`) }),
    conv: (name: string) => ({
      w: new Int8Array(rawBytes(get(`${name}.w_quantized`)).buffer),
      sw: f32(`${name}.w_scale`),
      bias: new Int32Array(rawBytes(get(`${name}.b_quantized`)).buffer),
    }),
    types: new Map([...t].map(([n, i]) => [n, i.dataType])),
  };
}

/** The exact integer computation of the int8 graph: Q(input) → c1 → c2 (uint8 codes), then the float logits Conv and Sigmoid. */
function reference(model: Model, input: Float32Array, saturate = false) {
  const init = initializers(model);
  const inq = init.act('input'),
    r1 = init.act('r1'),
    r2 = init.act('r2');
  const xq = Uint8Array.from(input, (v) => Math.max(0, Math.min(255, roundEven(Math.fround(v / inq.s)) + inq.z)));
  const layer = (
    name: string,
    x: Uint8Array,
    inP: { s: number; z: number },
    outP: { s: number; z: number },
    cin: number,
  ): QConv => ({
    x,
    zx: inP.z,
    sx: inP.s,
    ...init.conv(name),
    cin,
    cout: C,
    k: 3,
    pad: 1,
    h: S,
    width: S,
    sy: outP.s,
    zy: outP.z,
    relu: true,
  });
  const c1 = layer('c1', xq, inq, r1, 3);
  const q1 = qconv(c1, saturate);
  const c2 = layer('c2', q1, r1, r2, C);
  const q2 = qconv(c2, saturate);
  // Logits Conv in float over the dequantized r2, as the recipe keeps it.
  const w = floatData(model.graph!.initializer!.find((t) => t.name === 'side.w')!),
    b = floatData(model.graph!.initializer!.find((t) => t.name === 'side.b')!)[0]!;
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let sum = b;
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1,
              ix = x + kx - 1;
            if (iy >= 0 && iy < S && ix >= 0 && ix < S)
              sum += (q2[(c * S + iy) * S + ix]! - r2.z) * r2.s * w[(c * 3 + ky) * 3 + kx]!;
          }
      out[y * S + x] = 1 / (1 + Math.exp(-sum));
    }
  return { q1, q2, out, c1, c2 };
}

const CODES = ['r1', 'r2'].map((t) => `${t}_QuantizeLinear_Output`);
/** The model with the two hidden layers' uint8 codes as extra outputs. */
function withCodes(model: Model): Uint8Array {
  const m = decodeModel(encodeModel(model));
  for (const name of CODES) m.graph!.output!.push({ name, type: { tensorType: { elemType: UINT8 } } });
  return encodeModel(m);
}

async function runOrt(model: Model, input: Float32Array) {
  const s = await ort.InferenceSession.create(withCodes(model), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  const r = await s.run({ input: new ort.Tensor('float32', input, [1, 3, S, S]) });
  await s.release();
  return {
    q1: r.r1_QuantizeLinear_Output!.data as Uint8Array,
    q2: r.r2_QuantizeLinear_Output!.data as Uint8Array,
    out: r[OUTPUT]!.data as Float32Array,
  };
}
const codeDiff = (a: Uint8Array, b: Uint8Array) => ({
  max: a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0),
  count: a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0),
});
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('int8 weights cannot saturate 16-bit pair sums (same output on AVX2, AVX-512 and VNNI CPUs)', () => {
  it('the bound: 2 × 255 × 64 fits int16, 2 × 255 × 65 does not', () => {
    expect(SAFE_WEIGHT_MAX).toBe(64);
    expect(2 * 255 * SAFE_WEIGHT_MAX).toBeLessThanOrEqual(32767);
    expect(2 * 255 * (SAFE_WEIGHT_MAX + 1)).toBeGreaterThan(32767);
  });

  it('toInt8 writes every weight within ±64; the old full-range recipe is flagged', async () => {
    const safe = await quantized();
    expect(int8WeightRanges(safe).map((r) => r.tensor)).toEqual(['c1.w_quantized', 'c2.w_quantized']);
    expect(int8WeightRanges(safe).every((r) => r.maxAbs === SAFE_WEIGHT_MAX)).toBe(true);
    expect(saturatingWeights(safe)).toEqual([]);
    const old = await quantized(FULL_WEIGHT_MAX);
    expect(saturatingWeights(old)).toEqual([
      { tensor: 'c1.w_quantized', maxAbs: 127 },
      { tensor: 'c2.w_quantized', maxAbs: 127 },
    ]);
  });

  it('onnxruntime equals the exact integer computation (codes within 1 on < 1% of values, output within 2e-3)', async () => {
    const model = await quantized();
    expect(initializers(model).types.get('c1.b_quantized')).toBe(INT32);
    expect(initializers(model).types.get('c1.w_quantized')).toBe(INT8);
    for (const x of inputs(2)) {
      const [got, ref] = [await runOrt(model, x), reference(model, x)];
      for (const k of ['q1', 'q2'] as const) {
        const d = codeDiff(got[k], ref[k]);
        expect(d.max, k).toBeLessThanOrEqual(1);
        expect(d.count / ref[k].length, k).toBeLessThan(0.01);
      }
      expect(maxDiff(got.out, ref.out)).toBeLessThan(2e-3);
    }
  });

  it('with ±64 weights a saturating (VPMADDUBSW) CPU computes exactly the same; with ±127 it would not', async () => {
    const [safe, old] = [await quantized(), await quantized(FULL_WEIGHT_MAX)];
    for (const x of inputs(2)) {
      const exact = reference(safe, x),
        sat = reference(safe, x, true);
      for (const c of [exact.c1, exact.c2]) expect(accumulate(c, true)).toEqual(accumulate(c, false));
      expect(sat.out).toEqual(exact.out);
      // The full-range graph on the same input: saturation moves codes far beyond the exactness tolerance.
      const [e, s] = [reference(old, x), reference(old, x, true)];
      expect(codeDiff(s.q1, e.q1).max).toBeGreaterThan(10);
      expect(codeDiff(s.q2, e.q2).max).toBeGreaterThan(1);
    }
  });
});

// The proof on the kernels themselves: qemu-user answers CPUID as an AVX2-only CPU, so onnxruntime runs the
// saturating VPMADDUBSW kernels an AMD EPYC or older Xeon would, whatever this host has.
describe.runIf(await canEmulateAvx2())(`onnxruntime on an ${AVX2_LABEL}`, () => {
  /** q1, q2 and the output for every input, computed by onnxruntime on the given CPU. */
  async function onCpu(model: Model, xs: Float32Array[], cpu: 'native' | 'avx2') {
    const runs = await runOrtOn({
      model: withCodes(model),
      inputName: 'input',
      dims: [1, 3, S, S],
      inputs: xs,
      outputs: [OUTPUT, ...CODES],
      cpu,
    });
    return runs.map(([out, q1, q2]) => ({
      q1: q1!,
      q2: q2!,
      out: new Float32Array(out!.buffer, out!.byteOffset, out!.byteLength / 4),
    }));
  }

  it('computes the exact integer codes with ±64 weights; with ±127 its codes move (what AVX2 hosts did)', async () => {
    const [safe, old] = [await quantized(), await quantized(FULL_WEIGHT_MAX)];
    const xs = inputs(2);
    const [safeAvx2, safeHere, oldAvx2, oldHere] = await Promise.all([
      onCpu(safe, xs, 'avx2'),
      onCpu(safe, xs, 'native'),
      onCpu(old, xs, 'avx2'),
      onCpu(old, xs, 'native'),
    ]);
    for (const [i, x] of xs.entries()) {
      const [exact, oldExact] = [reference(safe, x), reference(old, x)];
      for (const k of ['q1', 'q2'] as const) {
        expect(codeDiff(safeAvx2[i]![k], exact[k]), `±64 ${k}, AVX2`).toEqual({ max: 0, count: 0 });
        expect(codeDiff(safeHere[i]![k], exact[k]), `±64 ${k}, this CPU`).toEqual({ max: 0, count: 0 });
        expect(codeDiff(oldHere[i]![k], oldExact[k]).max, `±127 ${k}, this CPU`).toBeLessThanOrEqual(1);
      }
      expect(maxDiff(safeAvx2[i]!.out, safeHere[i]!.out)).toBeLessThan(1e-6);
      // Measured: codes up to 203 apart, output up to 0.0065 — the emulation does reach the saturating path.
      expect(codeDiff(oldAvx2[i]!.q1, oldExact.q1).max).toBeGreaterThan(10);
      expect(maxDiff(oldAvx2[i]!.out, oldHere[i]!.out)).toBeGreaterThan(1e-3);
    }
  }, 120_000);
});
