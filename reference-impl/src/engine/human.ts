/** The person-mask seam for `method: "human"`: loads the MediaPipe selfie model (./person) on first use. */
import { EngineError } from './errors.ts';

/** 256×256×3 RGB bytes in, 256×256 person probabilities (0..1) out. */
export type PersonMaskFn = (rgb: Buffer) => Promise<Float32Array>;
/** The selfie model's fixed input size (person/index.ts checks it too). */
export const PERSON_SIZE = 256;

let loaded: Promise<PersonMaskFn> | undefined;

/** Imported lazily: TensorFlow.js and its wasm backend cost start-up time that `object` requests never need. */
export function loadPersonMask(): Promise<PersonMaskFn> {
  loaded ??= import('./person/index.ts').then(
    async (mod) => {
      await mod.loadPersonModel();
      return mod.personMask;
    },
    (err: unknown) => {
      loaded = undefined; // a later call may succeed (e.g. a transient file-system error)
      throw new EngineError(
        'internal',
        `method "human" is not available: the person model could not be loaded (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    },
  );
  return loaded;
}
