/** What makes a report reproducible: the suite's version, the contract's and the fixtures' sha256, the options (keys redacted). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResolvedOptions } from './context.ts';
import { specPath } from '@bgr/spec/contract';
import type { Fixtures } from './fixtures.ts';
import type { Provenance } from './report.ts';

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// This package's own package.json: one folder up from src/ (sources) and from dist/ (installed).
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

/** This suite's name and version (as a report, a HAR file and an attestation name it). */
export const suite = { name: pkg.name, version: pkg.version };

/** Options whose values are secrets: the report says only whether they were given. */
const secret = new Set<keyof ResolvedOptions>(['apiKey', 'secondApiKey', 'scopedKey', 'lowCreditKey', 'webhookSecret']);

export function provenance(options: ResolvedOptions, fixtures: Fixtures): Provenance {
  const opts = Object.fromEntries(
    Object.entries(options).map(([k, v]) => [
      k,
      secret.has(k as keyof ResolvedOptions) ? (v === undefined ? null : '<given>') : (v ?? null),
    ]),
  );
  return {
    suite: { name: pkg.name, version: pkg.version },
    contract: { path: 'openapi.yaml', sha256: sha256(readFileSync(specPath)) },
    fixtures: [
      ...[fixtures.disc, fixtures.roundedOnGradient, fixtures.personScene].map((f) => ({
        name: `${f.name}.png`,
        sha256: sha256(f.png),
      })),
      { name: 'undecodable.base64', sha256: sha256(fixtures.undecodableBase64) },
      { name: 'unreachable-url', sha256: sha256(fixtures.unreachableUrl) },
    ],
    options: opts,
  };
}
