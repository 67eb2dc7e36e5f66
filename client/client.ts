/** BgRemovalClient: the typed client of the Background Removal API, on openapi-fetch and the generated paths. */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../spec/generated/index.ts';
import { type BgRemovalClientOptions, resolveConfig } from './config.ts';
import { apiError, ProtocolError } from './errors.ts';
import { guard } from './guard.ts';
import { toImageField } from './image-input.ts';
import { Job } from './job.ts';
import { parseRetryAfter } from './retry-after.ts';
import { Transport } from './transport.ts';
import type {
  CallOptions,
  RemoveInput,
  RemoveRequest,
  RemoveResult,
  ResultBody,
  SubmitInput,
  SubmitRequest,
  WaitOptions,
} from './types.ts';
import { readSubmit } from './v2-body.ts';

export class BgRemovalClient {
  readonly baseUrl: string;
  readonly #api: Client<paths>;
  readonly #transport: Transport;

  constructor(options: BgRemovalClientOptions = {}) {
    const config = resolveConfig(options);
    this.baseUrl = config.baseUrl;
    this.#transport = new Transport(config);
    this.#api = createClient<paths>({ baseUrl: config.baseUrl });
  }

  /** v1: one call, the image comes back. Retried only on 429/503 (the server did not take it); never on network errors. */
  async removeBackground(input: RemoveInput, options: CallOptions = {}): Promise<RemoveResult> {
    const body = { ...toWire(input), image: await toImageField(input.image) } as RemoveRequest;
    const { data, error, response } = await this.#api.POST('/v1/bg-removal', {
      body,
      parseAs: 'arrayBuffer',
      signal: options.signal,
      fetch: this.#transport.fetcher({ retryNetworkErrors: false }),
    });
    if (!response.ok)
      throw apiError(
        response.status,
        error,
        parseRetryAfter(response.headers.get('retry-after')),
        response.headers.get('x-request-id') ?? undefined,
      );
    if (!data || data.byteLength === 0)
      throw new ProtocolError('v1 answered without an image', response.status, undefined);
    const header = (name: string): string | undefined => response.headers.get(name) ?? undefined;
    return {
      image: Buffer.from(data),
      contentType: header('content-type') ?? 'application/octet-stream',
      traceId: header('x-request-id'),
      inferenceTime: toNumber(header('x-inference-time') ?? header('x-generation-time')),
      remainingCredits: toNumber(header('x-remaining-credits')),
    };
  }

  /**
   * v2 submit; the Job's `requestId` is known as soon as this resolves. Never retried after a 2xx (each submit is
   * a new, billed request); retried after a network error only when `idempotencyKey` makes a repeat safe.
   */
  async submitAsync(input: SubmitInput, options: CallOptions = {}): Promise<Job> {
    const { idempotencyKey } = input;
    const body = { ...toWire(input), image: await toImageField(input.image) } as SubmitRequest;
    const { data, error, response } = await guard(
      this.#api.POST('/v2/bg-removal', {
        body,
        params: idempotencyKey ? { header: { 'Idempotency-Key': idempotencyKey } } : {},
        signal: options.signal,
        fetch: this.#transport.fetcher({ retryNetworkErrors: idempotencyKey !== undefined }),
      }),
    );
    const submitted = readSubmit(response, data ?? error);
    return new Job(this.#context(), submitted.request_id, {
      statusUrl: submitted.status_url,
      responseUrl: submitted.response_url,
      cancelUrl: submitted.cancel_url ?? this.#url(submitted.request_id, '/cancel'),
    });
  }

  /** Submit and wait (600 s deadline, 1 s poll by default), as the production SDK's `run()`. */
  async run(input: SubmitInput, options: WaitOptions = {}): Promise<ResultBody> {
    const job = await this.submitAsync(input, { signal: options.signal });
    return job.wait(options);
  }

  /** Resumes a job known only by its id (e.g. after InferenceTimeout): the one place URLs are built, not followed. */
  job(requestId: string): Job {
    return new Job(this.#context(), requestId, {
      statusUrl: this.#url(requestId, '/status'),
      responseUrl: this.#url(requestId, ''),
      cancelUrl: this.#url(requestId, '/cancel'),
    });
  }

  #url(requestId: string, suffix: string): string {
    return `${this.baseUrl}/v2/requests/${encodeURIComponent(requestId)}${suffix}`;
  }

  #context() {
    return { api: this.#api, transport: this.#transport };
  }
}

/** camelCase options → the contract's snake_case fields (image and client-only options excluded). */
function toWire(input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'image' || key === 'idempotencyKey') continue;
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return out;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
