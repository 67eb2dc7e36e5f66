/** Model file: reassembles the ISNet `.onnx` from the chunks shipped in `@imgly/background-removal-data`. */
// We read only that package's data files (resources.json and the sha256-named chunks); its code is AGPL
// and is never imported by the product.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from './errors.ts';

// The data-only package: the same ISNet chunks as `-node` (identical resources.json entries), without its code,
// its old sharp or its onnxruntime-node, so installing it runs no install script.
export const MODEL_PACKAGE = '@imgly/background-removal-data';
export const MODEL_KEY = '/models/medium';

interface Chunk {
  hash: string;
  offsets: [number, number];
}
interface ResourceEntry {
  chunks: Chunk[];
  size: number;
}

/** The package root (two levels above this file's `src/engine`). */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/**
 * Where the model goes when BGR_CACHE_DIR (config.ts) names no folder: the user's cache folder (XDG_CACHE_HOME
 * or ~/.cache, %LOCALAPPDATA% on Windows), never inside node_modules, which an installed package must not write.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME || (process.platform === 'win32' && env.LOCALAPPDATA) || path.join(os.homedir(), '.cache');
  return path.join(base, 'bgr', 'models');
}

/** The model package's `dist/` folder. Resolving does not execute the package's code. */
export function modelPackageDist(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    // The package has no `exports` and no main entry: resolve its package.json; its code is never loaded.
    main = path.join(path.dirname(require.resolve(`${MODEL_PACKAGE}/package.json`)), 'dist', 'resources.json');
  } catch (err) {
    throw new EngineError(
      'internal',
      `model weights not found: the npm package ${MODEL_PACKAGE} is not installed (run \`npm install\`)`,
      { cause: err },
    );
  }
  return path.dirname(main);
}

/**
 * Returns the path of the reassembled model, building it on first use. Each chunk's sha256 must equal its
 * name and the total size must match resources.json; the file is written to a temp name and renamed, so a
 * crash never leaves a half-written model that a later start would trust.
 */
export async function ensureModel(cacheDir: string = defaultCacheDir(), key: string = MODEL_KEY): Promise<string> {
  const dist = modelPackageDist();
  const resources = JSON.parse(await readFile(path.join(dist, 'resources.json'), 'utf8')) as Record<
    string,
    ResourceEntry
  >;
  const entry = resources[key];
  if (!entry) throw new EngineError('internal', `${MODEL_PACKAGE}/dist/resources.json has no entry ${key}`);
  // The name carries the first chunk's hash: a different package version yields a different file.
  const first = entry.chunks[0]?.hash.slice(0, 16) ?? 'empty';
  const target = path.join(cacheDir, `isnet-${key.split('/').pop()}-${first}.onnx`);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isFile() && existing.size === entry.size) return target;

  await mkdir(cacheDir, { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  const out = await open(tmp, 'w');
  try {
    let written = 0;
    for (const chunk of entry.chunks) {
      const file = path.join(dist, chunk.hash);
      const data = await readFile(file).catch((err: unknown) => {
        throw new EngineError('internal', `model chunk ${chunk.hash} missing from ${dist}`, { cause: err });
      });
      const actual = createHash('sha256').update(data).digest('hex');
      if (actual !== chunk.hash)
        throw new EngineError('internal', `model chunk ${chunk.hash} is corrupt (sha256 ${actual})`);
      if (data.length !== chunk.offsets[1] - chunk.offsets[0] || written !== chunk.offsets[0]) {
        throw new EngineError('internal', `model chunk ${chunk.hash} has unexpected offsets`);
      }
      await out.write(data, 0, data.length, written);
      written += data.length;
    }
    if (written !== entry.size) throw new EngineError('internal', `model size ${written} != ${entry.size}`);
    await out.sync();
    await out.close();
    await rename(tmp, target);
  } catch (err) {
    await out.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  return target;
}
