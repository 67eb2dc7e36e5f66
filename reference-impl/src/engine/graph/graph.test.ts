import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { histogramsOf, paramsAt } from './calibrate.ts';
import { halfToFloat, OUTPUT, toFp32 } from './fp32.ts';
import { RangeHistogram } from './histogram.ts';
import { quantizeWeights, toInt8 } from './int8.ts';
import { decodeModel, encodeModel, FLOAT, FLOAT16, type Model, node, onnx, tensor } from './onnx.ts';
import { quantPlan } from './plan.ts';

// A miniature ISNet-shaped graph (fp16 weights between Casts, a side output, Conv→Relu→MaxPool→Resize→
// Concat→Conv→Add, a logits Conv and Sigmoid), small enough to build and run in milliseconds.
const S = 16;
function halfBits(v: number): number {
  // Round-to-nearest fp16 via a float32 view; the tests only use small normal values.
  const f = new Float32Array([v]),
    u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000,
    exp = ((u >>> 23) & 0xff) - 127 + 15,
    frac = (u >>> 13) & 0x3ff;
  return exp <= 0 ? sign : sign | (exp << 10) | frac;
}
function weights(name: string, dims: number[], seed: number) {
  const n = dims.reduce((a, b) => a * b, 1);
  const h = Uint16Array.from({ length: n }, (_, i) => halfBits(Math.sin(seed * 7.1 + i * 1.3) * 0.4));
  return tensor(name, FLOAT16, dims, h);
}
function miniModel(): Model {
  const ints = (n: string, v: number[]) =>
    tensor(n, onnx.TensorProto.DataType.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
  const attrs = (o: Record<string, number[]>) =>
    Object.entries(o).map(([name, ints]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints }));
  const cast = (i: string, o: string, to: number) =>
    node('Cast', [i], [o], `cast_${o}`, [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }]);
  const conv = (name: string, x: string, y: string) =>
    node('Conv', [x, `${name}.w`, `${name}.b`], [y], name, attrs({ pads: [1, 1, 1, 1], kernel_shape: [3, 3] }));
  const nodes = [
    cast('input', 'x16', FLOAT16),
    conv('c1', 'x16', 'c1'),
    node('Relu', ['c1'], ['r1'], 'relu1'),
    node('MaxPool', ['r1'], ['p1'], 'pool', attrs({ kernel_shape: [2, 2], strides: [2, 2] })),
    node('Resize', ['p1', '', '', 'sizes'], ['u1'], 'up', [
      { name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('linear') },
    ]),
    node('Concat', ['u1', 'r1'], ['cat'], 'cat', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    conv('c2', 'cat', 'c2'),
    node('Relu', ['c2'], ['r2'], 'relu2'),
    node('Add', ['r2', 'r1'], ['sum'], 'add'),
    conv('side', 'sum', 'logits'),
    node('Sigmoid', ['logits'], ['prob16'], 'sig'),
    cast('prob16', OUTPUT, FLOAT),
    cast('r2', 'side_out', FLOAT),
  ];
  const init = [
    weights('c1.w', [4, 3, 3, 3], 1),
    weights('c1.b', [4], 2),
    weights('c2.w', [4, 8, 3, 3], 3),
    weights('c2.b', [4], 4),
    weights('side.w', [1, 4, 3, 3], 5),
    weights('side.b', [1], 6),
    ints('sizes', [1, 4, S, S]),
  ];
  const io = (name: string, c: number) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [1, c, S, S].map((dimValue) => ({ dimValue })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: 'mini',
      node: nodes,
      initializer: init,
      input: [io('input', 3)],
      output: [io(OUTPUT, 1), io('side_out', 4)],
    },
  });
  return decodeModel(encodeModel(model)); // as a decoded file would look
}
const inputs = (n: number) =>
  Array.from({ length: n }, (_, k) => Float32Array.from({ length: 3 * S * S }, (_, i) => Math.sin(i * 0.37 + k) * 0.5));
async function run(model: Model, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(model));
  const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, S, S]) }, [OUTPUT]);
  await s.release();
  return out[OUTPUT]!.data as Float32Array;
}
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('halfToFloat', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x0001, 2 ** -24],
    [0x7c00, Infinity],
    [0x0000, 0],
  ])('0x%s → %s', (h, f) => {
    expect(halfToFloat(Uint16Array.of(h))[0]).toBe(f);
  });
});

describe('quantizeWeights', () => {
  it('scales each output channel by its own max |w| / 64 (7-bit: no 16-bit pair saturation), zero point 0', () => {
    const { q, scales } = quantizeWeights(Float32Array.of(0.5, -1, 0.25, 2, -2, 1), 2);
    expect([...scales]).toEqual([1 / 64, 2 / 64].map((v) => Math.fround(v)));
    expect([...q]).toEqual([32, -64, 16, 64, -64, 32]);
  });
  it('the full int8 range on request (the old recipe): max |w| / 127', () => {
    const { q, scales } = quantizeWeights(Float32Array.of(0.5, -1, 0.25, 2, -2, 1), 2, 127);
    expect([...scales]).toEqual([1 / 127, 2 / 127].map((v) => Math.fround(v)));
    expect([...q]).toEqual([64, -127, 32, 127, -127, 64]);
  });
  it('leaves an all-zero channel at scale 1 (no division by zero)', () => {
    expect([...quantizeWeights(Float32Array.of(0, 0), 1).scales]).toEqual([1]);
  });
});

describe('RangeHistogram', () => {
  const spread = Float32Array.from({ length: 100_000 }, (_, i) => i / 1000); // 0 … 99.999 uniform
  it.each([
    [100, 100],
    [99, 99],
    [50, 50],
  ])('p%s of |x| ≈ %s', (p, expected) => {
    const h = new RangeHistogram();
    h.add(spread);
    expect(h.threshold(p)).toBeCloseTo(expected, 0);
  });
  it('merges images with different ranges; a negative value makes the range symmetric (zero point 128)', () => {
    const h = new RangeHistogram();
    h.add(Float32Array.of(0, 1, 2));
    expect(h.params(100)).toEqual({ scale: expect.closeTo(2 / 255, 4), zeroPoint: 0 });
    h.add(Float32Array.of(-4, 0));
    expect(h.params(100)).toEqual({ scale: expect.closeTo(8 / 255, 4), zeroPoint: 128 });
  });
});

// int8 outputs are held to 0.01 of fp32: with 7-bit weights no CPU saturates, so the same integer sums are
// computed everywhere (saturation.test.ts); the full-range recipe reached 0.0545 on an AVX2-only CPU.
describe('graph recipes on a miniature ISNet', () => {
  it('toFp32: float32 weights, no Casts, pruned to `output`, same numbers as the fp16 graph', async () => {
    const shipped = miniModel();
    const fp32 = toFp32(miniModel());
    const ops = fp32.graph!.node!.map((n) => n.opType);
    expect(ops).not.toContain('Cast');
    expect(fp32.graph!.output!.map((o) => o.name)).toEqual([OUTPUT]);
    expect(fp32.graph!.initializer!.filter((t) => t.dataType === FLOAT16)).toEqual([]);
    for (const x of inputs(2)) expect(maxDiff(await run(shipped, x), await run(fp32, x))).toBeLessThan(2e-3);
  });

  it('quantPlan: Q after the Relu (not the Conv it follows), MaxPool/Resize tied to their input, logits Conv kept float', () => {
    const plan = quantPlan(toFp32(miniModel()).graph!, OUTPUT);
    expect(plan.tensors).toEqual(['input', 'r1', 'p1', 'u1', 'cat', 'r2', 'sum']);
    expect([...plan.tiedTo]).toEqual([
      ['p1', 'r1'],
      ['u1', 'r1'],
    ]);
    expect(plan.int8Convs.map((c) => c.name)).toEqual(['c1', 'c2']);
  });

  it('quantPlan: float nodes quantize only what int8 nodes read; a float Conv between two Qs is refused', () => {
    const plan = quantPlan(toFp32(miniModel()).graph!, OUTPUT, /^(c2|relu2|add)$/);
    expect(plan.tensors).toEqual(['input', 'r1', 'p1', 'u1', 'cat', 'sum']);
    expect(plan.int8Convs.map((c) => c.name)).toEqual(['c1']);
    expect(() => quantPlan(toFp32(miniModel()).graph!, OUTPUT, /^c2$/)).toThrow(/would fuse it into a QLinearConv/);
  });

  it('toInt8 with float nodes: onnxruntime runs those Convs in float (checked in its optimized graph)', async () => {
    const bytes = encodeModel(toFp32(miniModel()));
    const hists = await histogramsOf(
      bytes,
      inputs(4).map((data) => ({ data, dims: [1, 3, S, S] })),
    );
    const q = toInt8(decodeModel(bytes), paramsAt(hists, 100), { floatNodes: /^(c2|relu2|add)$/ });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bgr-graph-'));
    try {
      const optimizedModelFilePath = path.join(dir, 'optimized.onnx');
      await (
        await ort.InferenceSession.create(encodeModel(q), {
          graphOptimizationLevel: 'all',
          optimizedModelFilePath,
          logSeverityLevel: 3,
        })
      ).release();
      const ops = decodeModel(await readFile(optimizedModelFilePath)).graph!.node!.map((n) => n.opType);
      expect(ops.filter((o) => o === 'QLinearConv').length).toBe(1);
      expect(ops.filter((o) => o === 'Conv' || o === 'FusedConv').length).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const x of inputs(2)) expect(maxDiff(await run(toFp32(miniModel()), x), await run(q, x))).toBeLessThan(0.01);
  });

  it('toInt8: one Q→DQ pair per tensor, int8 weights and int32 bias behind DQs, output close to fp32', async () => {
    const fp32 = toFp32(miniModel());
    const bytes = encodeModel(fp32);
    const hists = await histogramsOf(
      bytes,
      inputs(4).map((data) => ({ data, dims: [1, 3, S, S] })),
    );
    const q = toInt8(decodeModel(bytes), paramsAt(hists, 100));
    const ops = q.graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'QuantizeLinear').length).toBe(7);
    expect(ops.filter((o) => o === 'DequantizeLinear').length).toBe(7 + 2 * 2);
    const types = new Map(q.graph!.initializer!.map((t) => [t.name, t.dataType]));
    expect(types.get('c1.w_quantized')).toBe(onnx.TensorProto.DataType.INT8);
    expect(types.get('c1.b_quantized')).toBe(onnx.TensorProto.DataType.INT32);
    expect(types.get('side.w')).toBe(FLOAT);
    for (const x of inputs(2)) expect(maxDiff(await run(fp32, x), await run(q, x))).toBeLessThan(0.01);
    expect(q.graph!.initializer!.find((t) => t.name === 'c2.w_scale')!.dims).toEqual([4]);
    const perTensor = toInt8(decodeModel(bytes), paramsAt(hists, 100), { perTensorWeights: /^c2$/ });
    expect(perTensor.graph!.initializer!.find((t) => t.name === 'c2.w_scale')!.dims).toEqual([]);
    for (const x of inputs(2)) expect(maxDiff(await run(fp32, x), await run(perTensor, x))).toBeLessThan(0.01);
  });
});
