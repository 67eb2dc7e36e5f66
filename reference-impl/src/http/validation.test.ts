/** The JSON body validator counts string lengths in UTF-16 units: safe only while no body schema bounds a length beyond 1. */
import { describe, expect, it } from 'vitest';
import { glueSpecification } from './glue-spec.ts';

type Schema = Record<string, unknown>;

/** Every length bound reachable from the JSON request bodies, as `path: keyword=value`. */
function bodyLengthBounds(spec: Schema): string[] {
  const components = (spec.components as { schemas?: Record<string, Schema> }).schemas ?? {};
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const s = node as Schema;
    if (typeof s.$ref === 'string') walk(components[s.$ref.replace('#/components/schemas/', '')], s.$ref);
    for (const k of ['maxLength', 'minLength']) if (k in s) found.push(`${at}: ${k}=${String(s[k])}`);
    for (const [k, v] of Object.entries(s)) if (k !== '$ref') walk(v, `${at}/${k}`);
  };
  for (const [p, item] of Object.entries(spec.paths as Record<string, Record<string, Schema>>))
    for (const [method, op] of Object.entries(item)) {
      const content = (op.requestBody as { content?: Record<string, Schema> } | undefined)?.content;
      walk(content?.['application/json']?.schema, `${method.toUpperCase()} ${p}`);
    }
  return found;
}

describe('JSON body validation (ajv unicode: false)', () => {
  it('no request body bounds a string length beyond minLength 1, where UTF-16 units and code points agree', () => {
    const bounds = bodyLengthBounds(glueSpecification() as unknown as Schema);
    // A failure here: the contract gained a length bound; count code points again in validation.ts (unicode: true).
    expect(bounds.length).toBeGreaterThan(0);
    expect(bounds.filter((b) => !/: minLength=[01]$/.test(b))).toEqual([]);
  });
});
