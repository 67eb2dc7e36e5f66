import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clauses } from '@bgr/spec/clauses';
import { errorTable } from '@bgr/spec/errors';
import { extensions } from '@bgr/spec/extensions';
import { renderGenerated, staleGenerated } from './generate.ts';

describe('generated/', () => {
  it('matches what openapi.yaml generates now (run `npm run generate` when this fails)', async () => {
    expect(await staleGenerated()).toEqual([]);
  }, 30_000);

  it('would notice a spec change', async () => {
    const files = await renderGenerated();
    expect(files['generated/schema.d.ts']).toContain('removeBackground');
    expect(files['generated/schema.d.ts']).not.toBe(files['generated/index.ts']);
  }, 30_000);
});

describe('the contract tables', async () => {
  const spec = parse(await readFile(new URL('../spec/openapi.yaml', import.meta.url), 'utf8'));
  const codes: string[] = spec.components.schemas.ErrorCode.enum;

  it('lists every ErrorCode in the error table once, and nothing else', () => {
    expect(errorTable.map((e) => e.code).sort()).toEqual([...codes].sort());
  });

  it('gives every clause a unique id and an RFC 2119 keyword matching its level', () => {
    expect(new Set(clauses.map((c) => c.id)).size).toBe(clauses.length);
    for (const c of clauses) expect(c.text).toContain(c.level);
  });

  it('cites only defined clauses from operations', () => {
    const ids = new Set<string>(clauses.map((c) => c.id));
    const cited = Object.values<any>(spec.paths).flatMap((item) =>
      Object.values<any>(item).flatMap((op) => op['x-bgr-clauses'] ?? []),
    );
    expect(cited.length).toBeGreaterThan(20);
    expect(cited.filter((id: string) => !ids.has(id))).toEqual([]);
  });

  it('names only declared extensions, from clauses and from x-bgr-extension markers', () => {
    const names = new Set<string>(extensions.map((e) => e.name));
    expect(names.size).toBe(extensions.length);
    const fromClauses = clauses.flatMap((c) => ('extension' in c ? [c.extension as string] : []));
    const markers: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'x-bgr-extension') markers.push(v as string);
          else walk(v);
        }
      }
    };
    walk(spec);
    expect(markers.length).toBeGreaterThan(10);
    expect([...fromClauses, ...markers].filter((n) => !names.has(n))).toEqual([]);
  });
});
