import { defineConfig } from 'vitest/config';

// Workspace packages (@bgr/*) resolve to their TypeScript sources through the `bgr-source` export condition,
// here and in every child process a test starts (NODE_OPTIONS is inherited); published builds resolve to dist/.
const sourceCondition = '--conditions=bgr-source';
if (!process.env.NODE_OPTIONS?.includes(sourceCondition)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${sourceCondition}`.trim();
}

// Tests live beside the code they test; the real model is slow, so allow generous per-test time.
export default defineConfig({
  resolve: { conditions: ['bgr-source'] },
  ssr: { resolve: { conditions: ['bgr-source'], externalConditions: ['bgr-source'] } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.cache/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Finds or installs Chromium and redis-server, and starts a Redis on 6379 when none answers (README: `npm test`).
    globalSetup: ['scripts/test-setup.ts'],
  },
});
