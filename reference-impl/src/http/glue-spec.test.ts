/** glueSpecification: binary response media types left out (the glue's false start warnings), request media types kept. */
import { describe, expect, it } from 'vitest';
import { glueSpecification } from './glue-spec.ts';

type Op = {
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

describe('glueSpecification', () => {
  const spec = glueSpecification() as unknown as { paths: Record<string, Record<string, Op>> };
  const v1 = spec.paths['/v1/bg-removal']!.post!;

  it('keeps every request media type (a type without a parser must still warn)', () => {
    expect(Object.keys(v1.requestBody!.content!).sort()).toEqual(['application/json', 'multipart/form-data']);
  });

  it('drops image/png and image/webp from responses, keeps JSON error bodies', () => {
    expect(v1.responses['200']!.content).toBeUndefined();
    const all = Object.values(spec.paths)
      .flatMap((item) => Object.values(item))
      .flatMap((op) => Object.values(op.responses ?? {}));
    const types = new Set(all.flatMap((r) => Object.keys(r.content ?? {})));
    expect([...types].filter((t) => !/json$/.test(t))).toEqual([]);
    expect(types.has('application/json')).toBe(true);
  });
});
