/** The contract loaded from openapi.yaml: operation lookup and response validation (JSON Schema 2020-12). */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = ((ajvFormats as { default?: unknown }).default ?? ajvFormats) as FormatsPlugin;

export const specPath = new URL('openapi.yaml', import.meta.url);

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, unknown>;
  $ref?: string;
}
export interface Operation {
  method: string;
  path: string;
  operationId: string;
  responses: Record<string, ResponseObject>;
  'x-bgr-clauses'?: string[];
}

/** One way a response breaks the contract, named like Schemathesis' checks. */
export interface Violation {
  check: 'status_code_conformance' | 'content_type_conformance' | 'response_schema_conformance';
  message: string;
}

export interface Contract {
  spec: Record<string, any>;
  operations: Operation[];
  /** The operation that serves this method and concrete path, if the contract has one. */
  findOperation(method: string, path: string): Operation | undefined;
  /** The contract violations of one response (empty when it conforms). */
  validateResponse(op: Operation, status: number, contentType: string | undefined, body: unknown): Violation[];
  /** Validates a value against a named component schema. */
  validateSchema(name: string, value: unknown): string[];
}

const methods = ['get', 'post', 'put', 'patch', 'delete'];

function templateToRegExp(template: string): RegExp {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`);
}

let cached: Contract | undefined;

/** Loads and compiles the contract once per process. */
export function loadContract(): Contract {
  if (cached) return cached;
  const spec = parse(readFileSync(specPath, 'utf8')) as Record<string, any>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema({ ...spec, $id: 'spec' });

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(spec.paths)) {
    for (const method of methods) {
      if (item[method]) operations.push({ method: method.toUpperCase(), path, ...item[method] });
    }
  }
  const matchers = operations.map((op) => ({ op, re: templateToRegExp(op.path) }));
  const validators = new Map<string, ValidateFunction>();
  const compile = (ref: string): ValidateFunction => {
    let v = validators.get(ref);
    if (!v) validators.set(ref, (v = ajv.compile({ $ref: `spec${ref}` })));
    return v;
  };
  const deref = (r: ResponseObject): ResponseObject =>
    r.$ref
      ? (r.$ref
          .split('/')
          .slice(1)
          .reduce((o: any, k) => o[k], spec) as ResponseObject)
      : r;
  const describe = (v: ValidateFunction) =>
    (v.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`).join('; ');

  cached = {
    spec,
    operations,
    findOperation(method, path) {
      const bare = path.split('?')[0] ?? path;
      return matchers.find((m) => m.op.method === method.toUpperCase() && m.re.test(bare))?.op;
    },
    validateResponse(op, status, contentType, body) {
      const key = String(status);
      const declared = op.responses[key] ?? op.responses[`${key[0]}XX`] ?? op.responses.default;
      if (!declared) {
        return [{ check: 'status_code_conformance', message: `${op.operationId} does not declare status ${status}` }];
      }
      const response = deref(declared);
      if (!response.content) return [];
      const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
      const declaredTypes = Object.keys(response.content);
      if (!declaredTypes.includes(media)) {
        return [
          {
            check: 'content_type_conformance',
            message: `${op.operationId} ${status}: content type '${media || '(none)'}' is not one of ${declaredTypes.join(', ')}`,
          },
        ];
      }
      if (!media.endsWith('json')) return [];
      const pointer = `#/paths/${op.path.replace(/~/g, '~0').replace(/\//g, '~1')}/${op.method.toLowerCase()}/responses/${key}`;
      const schemaRef = declared.$ref
        ? `${declared.$ref}/content/${media.replace(/\//g, '~1')}/schema`
        : `${pointer}/content/${media.replace(/\//g, '~1')}/schema`;
      const validate = compile(schemaRef);
      return validate(body)
        ? []
        : [
            {
              check: 'response_schema_conformance',
              message: `${op.operationId} ${status}: ${describe(validate)}`,
            },
          ];
    },
    validateSchema(name, value) {
      const validate = compile(`#/components/schemas/${name}`);
      return validate(value) ? [] : [describe(validate)];
    },
  };
  return cached;
}
