import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from './model.ts';

describe('the default model cache folder', () => {
  it.each([
    ['XDG_CACHE_HOME when set', { XDG_CACHE_HOME: '/var/cache/me' }, path.join('/var/cache/me', 'bgr', 'models')],
    ['~/.cache otherwise', {}, path.join(os.homedir(), '.cache', 'bgr', 'models')],
    [
      '~/.cache when XDG_CACHE_HOME is empty',
      { XDG_CACHE_HOME: '' },
      path.join(os.homedir(), '.cache', 'bgr', 'models'),
    ],
  ])('is under %s', (_what, env, want) => {
    expect(defaultCacheDir(env)).toBe(want);
    expect(defaultCacheDir(env)).not.toContain('node_modules');
  });
});
