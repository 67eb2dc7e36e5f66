/** Rewrites `src/engine/graph/calibration.json`: the int8 graph's activation ranges, from generated images only. */
// Run: npm run calibrate [-- --images N]   (≈ 15 s per image on 2 cores; the committed file used the default)
// The images are the project's own (synthetic.ts scenes + calibration-images.ts), so the data file may ship;
// the shared photos are kept for evaluation (the bench), never used here.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { histograms, paramsAt, PERCENTILE } from '../src/engine/graph/calibrate.ts';
import { CALIBRATION_IMAGES, calibrationSet } from '../src/engine/graph/calibration-images.ts';
import {
  CALIBRATION_FILE,
  type CalibrationFile,
  formatCalibration,
  preparedModel,
} from '../src/engine/graph/prepare.ts';
import { defaultCacheDir, ensureModel } from '../src/engine/model.ts';
import { scenes } from '../src/engine/synthetic.ts';
import { MODEL_SIZE } from '../src/engine/tensor.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: String(CALIBRATION_IMAGES) },
    percentile: { type: 'string', default: String(PERCENTILE) },
  },
});
const count = Number(values.images);
const percentile = Number(values.percentile);

const cacheDir = process.env.BGR_CACHE_DIR ?? defaultCacheDir();
const fp32 = await preparedModel(await ensureModel(cacheDir), cacheDir, 'fp32');
const images = await calibrationSet(count);

const hists = await histograms(new Uint8Array(await readFile(fp32)), images, { log: (s) => console.log(s) });
const params = paramsAt(hists, percentile);
const data: CalibrationFile = {
  about:
    'uint8 activation ranges of the int8 ISNet graph; written by `npm run calibrate` (reference-impl/scripts/calibrate.ts)',
  percentile,
  images: `synthetic.ts scenes (${scenes()
    .map((s) => s.name)
    .join(', ')}) + calibrationImage(seed 1..${count}), resized to ${MODEL_SIZE}²`,
  tensors: Object.fromEntries(
    Object.entries(params).map(([n, p]) => [n, [Number(p.scale.toPrecision(7)), p.zeroPoint]]),
  ),
};
const target = fileURLToPath(CALIBRATION_FILE);
await writeFile(target, formatCalibration(data));
console.log(`wrote ${target}: ${Object.keys(params).length} tensors from ${images.length} images at p${percentile}`);
