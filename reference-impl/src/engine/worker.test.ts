/** The real inference worker on two one-Conv graphs: int8's fp32 fallback rule (graph/precision.ts), without the model. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeModel, FLOAT, node, onnx, tensor } from './graph/onnx.ts';
import { INT8_FALLBACK } from './graph/precision.ts';
import { WorkerPool } from './pool.ts';
import { MODEL_SIZE } from './tensor.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bgr-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** output = sigmoid(w · red + b) per pixel: the input's red channel (value/255 − 0.5) drives the mask. */
function oneConv(name: string, w: number, b: number): string {
  const io = (n: string, c: number) => ({
    name: n,
    type: {
      tensorType: { elemType: FLOAT, shape: { dim: [1, c, MODEL_SIZE, MODEL_SIZE].map((dimValue) => ({ dimValue })) } },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name,
      node: [node('Conv', ['input', 'w', 'b'], ['logits'], 'conv'), node('Sigmoid', ['logits'], ['output'], 'sig')],
      initializer: [
        tensor('w', FLOAT, [1, 3, 1, 1], Float32Array.from([w, 0, 0])),
        tensor('b', FLOAT, [1], Float32Array.from([b])),
      ],
      input: [io('input', 3)],
      output: [io('output', 1)],
    },
  });
  const file = path.join(dir, `${name}.onnx`);
  writeFileSync(file, encodeModel(model));
  return file;
}

// "int8": sure (alpha 0 or 255) where red is 0 or 255, unsure (≈ 0.5) where it is 128. "fp32": 0.95 everywhere.
const main = oneConv('main', 40, 0);
const fallback = oneConv('fallback', 0, Math.log(0.95 / 0.05));

/** An image whose first `share` of pixels have red 128 (unsure), the rest red 0 (surely background). */
function image(share: number): Uint8Array {
  const rgb = new Uint8Array(MODEL_SIZE * MODEL_SIZE * 3);
  const unsure = Math.round(share * MODEL_SIZE * MODEL_SIZE);
  for (let i = 0; i < unsure; i++) rgb[i * 3] = 128;
  return rgb;
}

describe('worker: int8 falls back to fp32 where it is unsure', () => {
  const pool = new WorkerPool({
    size: 1,
    init: {
      script: new URL('./worker.ts', import.meta.url).href,
      modelPath: main,
      fallback: { modelPath: fallback, ...INT8_FALLBACK },
      device: 'cpu',
      threads: 1,
      warmup: true,
    },
  });
  afterAll(() => pool.close());

  it.each([
    { share: 0, fellBack: false },
    { share: INT8_FALLBACK.share * 0.9, fellBack: false },
    { share: INT8_FALLBACK.share * 1.1, fellBack: true },
    { share: 0.5, fellBack: true },
  ])('$share of the image unsure → fell back: $fellBack', async ({ share, fellBack }) => {
    await pool.start();
    const r = await pool.run(image(share));
    expect(r.fellBack).toBe(fellBack);
    const last = r.alpha[r.alpha.length - 1]!; // red 0: the main graph says 0, the fallback 0.95
    expect(last).toBe(fellBack ? Math.round(0.95 * 255) : 0);
    // red 128: unsure (≈ 0.52), kept as the main graph said it where it did not fall back.
    if (!fellBack && share > 0) expect(r.alpha[0]).toBe(Math.round(255 / (1 + Math.exp(-40 * (128 / 255 - 0.5)))));
  });
});
