/** Client-facing types, all derived from the generated contract types so they cannot drift from openapi.yaml. */
import type { components } from '../spec/generated/index.ts';

type Schemas = components['schemas'];

export type RemoveRequest = Schemas['RemoveRequest'];
export type SubmitRequest = Schemas['SubmitRequest'];
export type SubmitResponse = Schemas['SubmitResponse'];
export type StatusBody = Schemas['StatusBody'];
export type PendingBody = Schemas['PendingBody'];
export type ResultBody = Schemas['ResultBody'];
export type FailedBody = Schemas['FailedBody'];
export type ErrorBody = Schemas['Error'];
export type ErrorCode = Schemas['ErrorCode'];

/** `mask_only` → `maskOnly`: the wire names stay snake_case, the JS surface is camelCase. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
export type Camelize<T> = { [K in keyof T as CamelCase<K & string>]: T[K] };

/** What `image` accepts: a file path, bytes, an http(s)/data: URL, or raw base64. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer;

/** Options of `removeBackground` (v1): the contract's RemoveRequest, camelCased, with a friendlier `image`. */
export type RemoveInput = Omit<Camelize<RemoveRequest>, 'image'> & { image: ImageInput };

/** Options of `submitAsync`/`run` (v2): the contract's SubmitRequest, camelCased, plus an optional idempotency key. */
export type SubmitInput = Omit<Camelize<SubmitRequest>, 'image'> & {
  image: ImageInput;
  /** Sent as `Idempotency-Key`; only then is a submit retried after a network error. */
  idempotencyKey?: string;
};

/** Image bytes with their media type. */
export interface ImageBytes {
  image: Buffer;
  contentType: string;
}

/** The result of `removeBackground`: the image plus what the v1 response headers say. */
export interface RemoveResult extends ImageBytes {
  /** The exchange's trace id, from `x-request-id` (also in the server's log); v1 has no request id of its own. */
  traceId: string | undefined;
  /** Seconds, from `x-inference-time` (production: `x-generation-time`). */
  inferenceTime: number | undefined;
  /** From `x-remaining-credits`; undefined for unlimited keys. */
  remainingCredits: number | undefined;
}

/** Per-call options shared by every operation. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** How `wait`, `run` and `output` poll. */
export interface WaitOptions extends CallOptions {
  /** Milliseconds before InferenceTimeout (default 600 000, the production SDK's deadline). */
  timeout?: number;
  /** Milliseconds between status polls (default 1000), when polling. */
  interval?: number;
  /**
   * Follow the status stream (`Accept: text/event-stream`) where the deployment offers it (default true);
   * polling is the fallback either way, when it is not offered or the stream breaks.
   */
  stream?: boolean;
  /** Called with each status seen (streamed event or poll), e.g. to show progress. */
  onStatus?: (body: StatusBody | PendingBody | ResultBody | FailedBody) => void;
}
