/** The person-mask seam: lazily loads `./person/index.ts` (MediaPipe selfie, built by another engineer). */
import { EngineError } from './errors.ts';

/** 256×256×3 RGB bytes in, 256×256 person probabilities (0..1) out. */
export type PersonMaskFn = (rgb: Buffer) => Promise<Float32Array>;
export const PERSON_SIZE = 256;

let loaded: Promise<PersonMaskFn> | undefined;

/**
 * TODO(person): `./person/index.ts` (export `personMask`) is being built separately; until it lands the human
 * path fails with a clear `internal` error. The specifier is a variable so that type-checking and bundling
 * do not require the module to exist yet.
 */
export function loadPersonMask(): Promise<PersonMaskFn> {
  const spec = './person/index.ts';
  loaded ??= (import(spec) as Promise<{ personMask?: PersonMaskFn }>).then(
    (mod) => {
      if (typeof mod.personMask !== 'function') throw new Error('./person/index.ts does not export personMask');
      return mod.personMask;
    },
    (err: unknown) => {
      loaded = undefined; // retry on a later call (e.g. after the module is installed)
      throw new EngineError('internal', `method "human" is not available: the person model module could not be loaded (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    },
  );
  return loaded;
}
