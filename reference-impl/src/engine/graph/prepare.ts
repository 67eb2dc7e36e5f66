/** Prepared graphs: derives the fp32 and int8 ISNet graphs from the shipped model once, cached by content hash. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { toFp32 } from './fp32.ts';
import { toInt8, type QuantParams } from './int8.ts';
import { decodeModel, encodeModel } from './onnx.ts';
import { SAFE_WEIGHT_MAX, saturatingWeights } from './saturation.ts';
import { type Precision, PRECISIONS } from './precision.ts';

export { DEFAULT_PRECISION, type Precision, PRECISIONS } from './precision.ts';

/** Bumped whenever a recipe changes the bytes it writes, so stale cached graphs are never reused. */
const RECIPE = { fp32: 'fp32-pruned-v1', int8: 'int8-qdq-v6-w7pc-all' } as const;

/** The committed calibration (scripts: `npm run calibrate`): per-tensor uint8 scale and zero point. */
export interface CalibrationFile {
  about: string;
  percentile: number;
  images: string;
  tensors: Record<string, [scale: number, zeroPoint: number]>;
}
export const CALIBRATION_FILE = new URL('./calibration.json', import.meta.url);

/** The file's text: one line per tensor, so a recalibration reads as a small diff. */
export function formatCalibration(data: CalibrationFile): string {
  const { tensors, ...head } = data;
  const rows = Object.entries(tensors).map(([n, v]) => `  ${JSON.stringify(n)}: ${JSON.stringify(v)}`);
  return `${JSON.stringify(head, null, 1).replace(/\n}$/, ',\n "tensors": {\n')}${rows.join(',\n')}\n }\n}\n`;
}

export async function loadCalibration(
  file: URL | string = CALIBRATION_FILE,
): Promise<{ params: Record<string, QuantParams>; text: string }> {
  const text = await readFile(file, 'utf8');
  const data = JSON.parse(text) as CalibrationFile;
  const params = Object.fromEntries(
    Object.entries(data.tensors).map(([n, [scale, zeroPoint]]) => [n, { scale, zeroPoint }]),
  );
  return { params, text };
}

const sha16 = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

async function writeAtomic(target: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, bytes, { flush: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function cached(target: string, build: () => Promise<Uint8Array>): Promise<string> {
  if ((await stat(target).catch(() => undefined))?.isFile()) return target;
  await writeAtomic(target, await build());
  return target;
}

/**
 * Path of the graph for `precision`, derived from `shippedPath` (the reassembled shipped model) on first use
 * and kept in `cacheDir` under a name hashing the shipped file's name (itself content-addressed), the
 * recipe version and, for int8, the calibration data. A crash mid-write leaves only a temp file.
 */
export async function preparedModel(shippedPath: string, cacheDir: string, precision: Precision): Promise<string> {
  if (!PRECISIONS.includes(precision))
    throw new EngineError(
      'internal',
      `unknown precision ${JSON.stringify(precision)} (use ${PRECISIONS.join(' or ')})`,
    );
  const shipped = path.basename(shippedPath);
  const fp32Path = path.join(cacheDir, `isnet-fp32-${sha16(shipped, RECIPE.fp32)}.onnx`);
  await cached(fp32Path, async () => encodeModel(toFp32(decodeModel(await readFile(shippedPath)))));
  if (precision === 'fp32') return fp32Path;
  const { params, text } = await loadCalibration();
  const int8Path = path.join(cacheDir, `isnet-int8-${sha16(shipped, RECIPE.fp32, RECIPE.int8, text)}.onnx`);
  return cached(int8Path, async () => {
    try {
      const model = toInt8(decodeModel(await readFile(fp32Path)), params);
      // A graph that could saturate would give CPU-dependent masks: refuse to cache one.
      const risky = saturatingWeights(model);
      if (risky.length)
        throw new Error(`${risky.length} weight tensors exceed ±${SAFE_WEIGHT_MAX} (first: ${risky[0]!.tensor})`);
      return encodeModel(model);
    } catch (err) {
      throw new EngineError(
        'internal',
        `cannot build the int8 graph from ${fp32Path}: ${err instanceof Error ? err.message : String(err)} (re-run \`npm run calibrate\` if the model changed)`,
        { cause: err },
      );
    }
  });
}
