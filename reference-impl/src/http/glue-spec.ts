/** The contract as fastify-openapi-glue reads it: openapi.yaml without the media types of binary responses (see why below). */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { specPath } from '@bgr/spec/contract';

type Responses = Record<string, { content?: Record<string, unknown> }>;
type Spec = { paths?: Record<string, Record<string, { responses?: Responses }>> };

const textual = /^application\/(?:[\w.+-]*\+)?json$/;

/**
 * fastify-openapi-glue (4.11) collects the media types of request bodies *and responses* and warns at
 * start "ContentTypeParser for 'image/png' not found" for each one without a request parser: for
 * image/png and image/webp (the v1 200 and the /output responses) that is a false alarm, since a
 * content-type parser reads request bodies only, and accepting PNG request bodies would be wrong.
 * Response media types do nothing at run time here (Fastify does not validate responses, and our
 * serializer ignores response schemas; the contract tests check responses instead), so the glue gets
 * the spec without the non-JSON response media types. Request media types are left untouched: a
 * request type we could not parse still warns, as it should.
 */
export function glueSpecification(): Spec {
  const spec = parse(readFileSync(specPath, 'utf8')) as Spec;
  for (const item of Object.values(spec.paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const response of Object.values(op?.responses ?? {})) {
        if (!response?.content) continue;
        for (const type of Object.keys(response.content)) if (!textual.test(type)) delete response.content[type];
        if (Object.keys(response.content).length === 0) delete response.content;
      }
    }
  }
  return spec;
}
