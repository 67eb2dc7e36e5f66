import { defineConfig } from 'vitest/config';

// Workspace packages (@bgr/*) resolve to their TypeScript sources through the `bgr-source` export condition,
// here and in every child process a test starts (NODE_OPTIONS is inherited); published builds resolve to dist/.
const sourceCondition = '--conditions=bgr-source';
if (!process.env.NODE_OPTIONS?.includes(sourceCondition)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${sourceCondition}`.trim();
}

/**
 * Files that keep the cores busy on their own: the real model (inference, graph preparation) and the person
 * model. They run one at a time, after the rest (their speed and quality figures need the cores to themselves).
 */
const cpuBound = [
  'reference-impl/src/engine/engine.model.test.ts',
  'reference-impl/src/engine/model.test.ts',
  'reference-impl/src/engine/graph/**/*.test.ts',
  'reference-impl/src/engine/person/*.test.ts',
  'reference-impl/e2e/hostile/real-model.test.ts',
];
const exclude = ['node_modules/**', '.cache/**', '**/dist/**'];

// Every other file mostly waits (on HTTP, Redis, child processes on the model-free sandbox engine, Chromium, npm):
// those run several at a time even on 2 cores (vitest's default there is one file at a time).
const parallelFiles = Number(process.env.BGR_TEST_WORKERS ?? 3);

export default defineConfig({
  resolve: { conditions: ['bgr-source'] },
  ssr: { resolve: { conditions: ['bgr-source'], externalConditions: ['bgr-source'] } },
  test: {
    exclude,
    // The real model is slow on a busy machine, so allow generous per-test time.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Finds or installs Chromium and redis-server, and starts a Redis on 6379 when none answers (README: `npm test`).
    globalSetup: ['scripts/test-setup.ts'],
    reporters: ['default', './scripts/slowest-files.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['**/*.test.ts'],
          exclude: [...exclude, ...cpuBound],
          maxWorkers: parallelFiles,
        },
      },
      { extends: true, test: { name: 'cpu', include: cpuBound, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
