/**
 * Request bodies generated from the contract's request schemas (fast-check): valid ones built from each property's
 * schema (enums, patterns, types; an extension's fields only where it is offered), and invalid ones made from a
 * valid one by one mutation (a required field dropped, an unknown field, a wrong type, a value outside its enum or
 * pattern, a body that is no object). Whether a body is valid is judged by the contract's own validator.
 */
import fc from 'fast-check';
import { loadContract } from '@bgr/spec/contract';

interface Schema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  minLength?: number;
  'x-bgr-extension'?: string;
}

/** The inputs a body's `image` may carry: a small real image in each accepted form. */
export interface ImageInputs {
  base64: string;
  dataUri: string;
}

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const target = s.$ref
    .split('/')
    .slice(1)
    .reduce((o: any, k) => o[k], loadContract().spec) as Schema;
  return { ...target, ...(s['x-bgr-extension'] ? { 'x-bgr-extension': s['x-bgr-extension'] } : {}) };
}

/** A value valid for one property's schema. */
function valid(name: string, s: Schema, images: ImageInputs): fc.Arbitrary<unknown> {
  if (name === 'image') return fc.constantFrom(images.base64, images.dataUri);
  if (name === 'webhook') return fc.constant('http://bgr-fuzz.invalid/hook'); // never a host that exists
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.type === 'boolean') return fc.boolean();
  if (s.type === 'string' && s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  return fc.string({ minLength: s.minLength ?? 0, maxLength: 12 });
}

/** A JSON value of another type than the schema's. */
function wrongType(s: Schema): fc.Arbitrary<unknown> {
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.string({ maxLength: 8 })],
    ['boolean', fc.boolean()],
    ['number', fc.integer({ min: -5, max: 1e6 })],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.integer(), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })],
  ];
  return fc.oneof(...all.filter(([t]) => t !== s.type).map(([, a]) => a));
}

/** A value of the schema's type that breaks its enum, pattern or length. */
function outOfRange(s: Schema): fc.Arbitrary<unknown> | undefined {
  if (s.enum) return fc.string({ maxLength: 10 }).filter((v) => !s.enum!.includes(v));
  if (s.pattern) return fc.string({ maxLength: 10 }).filter((v) => !new RegExp(s.pattern!).test(v));
  if (s.minLength) return fc.constant('');
  return undefined;
}

export interface GeneratedBody {
  body: unknown;
  mutation: string;
}

/**
 * Bodies for the named request schema (`RemoveRequest`, `SubmitRequest`), valid and invalid, about one in three
 * valid. `offered`: the extensions whose fields a valid body may use.
 */
export function bodies(
  schemaName: string,
  images: ImageInputs,
  offered: ReadonlySet<string>,
): fc.Arbitrary<GeneratedBody> {
  const schema = resolve({ $ref: `#/components/schemas/${schemaName}` });
  const props = Object.entries(schema.properties ?? {})
    .map(([name, s]) => [name, resolve(s)] as const)
    .filter(([, s]) => !s['x-bgr-extension'] || offered.has(s['x-bgr-extension']));
  const required = schema.required ?? [];
  const record = fc.record(Object.fromEntries(props.map(([name, s]) => [name, valid(name, s, images)])), {
    requiredKeys: required.filter((r) => props.some(([n]) => n === r)),
  }) as fc.Arbitrary<Record<string, unknown>>;
  const mutated: fc.Arbitrary<GeneratedBody>[] = [
    record.chain((b) =>
      fc.constantFrom(...required).map((k) => ({
        body: Object.fromEntries(Object.entries(b).filter(([n]) => n !== k)),
        mutation: `without required \`${k}\``,
      })),
    ),
    fc
      .tuple(
        record,
        fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => !(k in (schema.properties ?? {})) && k !== '__proto__'),
        fc.jsonValue({ maxDepth: 1 }),
      )
      .map(([b, k, v]) => ({ body: { ...b, [k]: v }, mutation: `unknown field \`${k}\`` })),
    ...props.map(([name, s]) =>
      fc
        .tuple(record, wrongType(s))
        .map(([b, v]) => ({ body: { ...b, [name]: v }, mutation: `\`${name}\` of the wrong type` })),
    ),
    ...props.flatMap(([name, s]) => {
      const bad = outOfRange(s);
      return bad
        ? [
            fc.tuple(record, bad).map(([b, v]) => ({
              body: { ...b, [name]: v },
              mutation: `\`${name}\` outside its enum, pattern or length`,
            })),
          ]
        : [];
    }),
    fc
      .oneof(fc.array(fc.integer(), { maxLength: 2 }), fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null))
      .map((body) => ({ body, mutation: 'not an object' })),
  ];
  return fc.oneof(
    { arbitrary: record.map((body) => ({ body, mutation: 'none (valid)' })), weight: 1 },
    { arbitrary: fc.oneof(...mutated), weight: 2 },
  );
}

/** Whether the contract accepts the body (its own schema validator: a mutation may happen to stay valid). */
export function isValid(schemaName: string, body: unknown): boolean {
  return loadContract().validateSchema(schemaName, body).length === 0;
}
