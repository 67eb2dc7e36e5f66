import { defineConfig } from 'vitest/config';

// Tests live beside the code they test; the real model is slow, so allow generous per-test time.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.cache/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
