import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureModel, modelPackageDist } from './model.ts';

describe('model assembly', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reassembles the medium ISNet model once, atomically, and reuses it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bgr-model-'));
    const file = await ensureModel(dir);
    const first = await stat(file);
    expect(first.size).toBe(88_188_479);
    expect(await readdir(dir)).toEqual([path.basename(file)]); // no temp file left behind
    expect(await ensureModel(dir)).toBe(file);
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs); // reused, not rewritten
  });

  it('rebuilds a damaged (wrong-size) model file', async () => {
    const file = await ensureModel(dir);
    await truncate(file, 1000);
    await ensureModel(dir);
    expect((await stat(file)).size).toBe(88_188_479);
  });

  it('finds the package data without importing its code', () => {
    expect(modelPackageDist()).toMatch(/@imgly[\\/]background-removal-data[\\/]dist$/);
  });
});
