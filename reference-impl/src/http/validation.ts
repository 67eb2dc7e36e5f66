/** Request validation with JSON Schema 2020-12 (the contract is OpenAPI 3.1): no stripping, no JSON coercion. */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = ((ajvFormats as { default?: unknown }).default ?? ajvFormats) as FormatsPlugin;

function makeAjv(coerceTypes: boolean): Ajv2020 {
  // removeAdditional:false → unknown properties fail (400) instead of vanishing; useDefaults fills method/format.
  const ajv = new Ajv2020({ strict: false, removeAdditional: false, useDefaults: true, coerceTypes, allErrors: false });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  // A multipart file part arrives as a Buffer (@fastify/multipart keyValues); a text field named `image` must not pass.
  ajv.addKeyword({
    keyword: 'binaryFile',
    schemaType: 'boolean',
    validate: (_s: boolean, data: unknown) => Buffer.isBuffer(data) && data.length > 0,
    errors: false,
  });
  return ajv;
}

/** `{type: string, format: binary}` → `{binaryFile: true}`, everywhere in a multipart schema. */
function toMultipartSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toMultipartSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as Record<string, unknown>;
  if (s.format === 'binary') {
    const { type: _t, format: _f, ...rest } = s;
    return { ...rest, binaryFile: true };
  }
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, toMultipartSchema(v)]));
}

/**
 * JSON bodies: strict types. Multipart bodies: text fields are strings on the wire, so `mask_only=true`
 * is coerced there only. Path/query/header parameters are strings too and are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const json = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart, contentType }) => {
    let v: ValidateFunction;
    if (httpPart === 'body' && contentType === 'multipart/form-data')
      v = coercing.compile(toMultipartSchema(schema) as object);
    else if (httpPart === 'body') v = json.compile(schema as object);
    else v = coercing.compile(schema as object);
    return v;
  };
}
