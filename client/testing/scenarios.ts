/**
 * The client scenarios shared by every target (fake server, Prism mock, and later the real reference), so that
 * swapping in a base URL and a key runs the same checks; scenarios a target cannot act out are skipped.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  BgRemovalClient,
  type BgRemovalClientOptions,
  type ImageInput,
  InferenceFailed,
  InferenceTimeout,
  ProtocolError,
  UnsupportedOperation,
} from '../index.ts';

/** What a target can do beyond answering in the contract's shapes. */
export type Capability =
  /** It keeps request state, so a submitted job can be polled to its end (real, fake; not Prism). */
  | 'lifecycle'
  /** It implements cancel (the `cancel` extension; the production service has none). */
  | 'cancel'
  /** Its error bodies carry the contract's `code` (the `error-codes` extension; production's carry only `error`). */
  | 'error-codes'
  /** Its status URL streams Server-Sent Events on `Accept: text/event-stream` (the `status-stream` extension). */
  | 'status-stream'
  /** Its outputs are real PNG bytes. */
  | 'images'
  /** It takes `format`, `mask_only`, `bg_color` and `base64` (the `output-options` extension; production does not). */
  | 'output-options';

/** Named behaviours a scenario asks a target to act out. */
export type Script =
  'unauthorized' | 'not-found' | 'processing' | 'fail' | 'slow' | 'rate-limited' | 'rate-limit-once' | 'bad-submit';

export interface TargetSpec {
  name: string;
  capabilities: ReadonlySet<Capability>;
  /** Headers that make the target act out a script; `{}` when it needs none, undefined when it cannot. */
  script(name: Script): Record<string, string> | undefined;
  /** Poll interval for this target (ms). */
  interval: number;
}

/** Where the target listens; resolved lazily because servers start in beforeAll. */
export interface Connection {
  baseUrl: string;
  apiKey: string;
  /** An image the target can process (real photo for the real server). */
  image: ImageInput;
}

interface Context {
  spec: TargetSpec;
  conn: Connection;
  headers: Record<string, string>;
  client(options?: BgRemovalClientOptions): BgRemovalClient;
}

interface Scenario {
  name: string;
  needs?: Capability[];
  /** Runs only on targets without these (what a client does when an extension is not offered). */
  lacks?: Capability[];
  script?: Script;
  run(ctx: Context): Promise<void>;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SAMPLE_ID = '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7';

export const scenarios: Scenario[] = [
  {
    name: 'v1 removeBackground returns the image and its headers',
    async run({ spec, conn, client }) {
      const result = await client().removeBackground({ image: conn.image, method: 'object' });
      expect(result.image.length).toBeGreaterThan(0);
      expect(result.contentType).toMatch(/^image\/png/);
      expect(typeof result.traceId).toBe('string');
      if (spec.capabilities.has('images')) expect(result.image.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    },
  },
  {
    name: 'an unknown key is ApiError 401 unauthorized',
    script: 'unauthorized',
    async run({ conn, client }) {
      const error = await client({ apiKey: 'not-a-valid-key' })
        .removeBackground({ image: conn.image })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
    },
  },
  {
    name: 'an unknown request id is ApiError 404 not_found',
    script: 'not-found',
    async run({ client }) {
      const error = await client()
        .job('00000000-0000-4000-8000-000000000000')
        .status()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 404, code: 'not_found' });
    },
  },
  {
    name: 'submitAsync gives the request id and the URLs to follow at once',
    async run({ conn, client }) {
      const job = await client().submitAsync({ image: conn.image });
      expect(job.requestId).toMatch(/\S/);
      for (const url of [job.statusUrl, job.responseUrl, job.cancelUrl])
        expect(new URL(url).protocol).toMatch(/^https?:$/);
    },
  },
  {
    name: 'job.status() reads a pending state',
    script: 'processing',
    async run({ spec, conn, client }) {
      const c = client();
      const job = spec.capabilities.has('lifecycle') ? await c.submitAsync({ image: conn.image }) : c.job(SAMPLE_ID);
      const state = await job.status();
      expect(['QUEUED', 'PROCESSING', 'COMPLETED']).toContain(state.status);
    },
  },
  {
    name: 'run() submits and waits for the COMPLETED result; job.output() fetches the image',
    needs: ['lifecycle'],
    async run({ spec, conn, client }) {
      const c = client();
      const result = await c.run({ image: conn.image }, { interval: spec.interval });
      expect(result.status).toBe('COMPLETED');
      expect(typeof result.metrics.inference_time).toBe('number');
      // The contract lets a production result omit request_id; the reference sends it.
      const output = await c.job(result.request_id ?? '').output();
      expect(output.contentType).toMatch(/^image\/png/);
      if (spec.capabilities.has('images')) expect(output.image.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    },
  },
  {
    name: 'submitAsync → wait → output decodes a base64 (data:) output',
    needs: ['lifecycle', 'output-options'],
    async run({ spec, conn, client }) {
      const job = await client().submitAsync({ image: conn.image, base64: true });
      const result = await job.wait({ interval: spec.interval });
      expect(result.output).toMatch(/^data:image\/png;base64,/);
      const output = await job.output();
      expect(output.contentType).toBe('image/png');
      expect(output.image.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    },
  },
  {
    name: 'a FAILED request raises InferenceFailed from its body',
    script: 'fail',
    async run({ spec, conn, client }) {
      const c = client();
      const job = spec.capabilities.has('lifecycle') ? await c.submitAsync({ image: conn.image }) : c.job(SAMPLE_ID);
      const error = await job.wait({ interval: spec.interval }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceFailed);
      const failed = error as InferenceFailed;
      expect(failed.body.status).toBe('FAILED');
      expect(failed.detail).toMatch(/\S/);
      if (spec.capabilities.has('error-codes')) expect(failed.code).toBeDefined();
    },
  },
  {
    name: 'a wait past its timeout raises InferenceTimeout with the request id',
    needs: ['lifecycle'],
    script: 'slow',
    async run({ conn, client }) {
      const job = await client().submitAsync({ image: conn.image });
      const error = await job.wait({ timeout: 50, interval: 1000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceTimeout);
      expect(error).toMatchObject({ requestId: job.requestId });
      expect((error as InferenceTimeout).elapsed).toBeGreaterThanOrEqual(45);
      expect((error as InferenceTimeout).elapsed).toBeLessThan(1000);
    },
  },
  {
    name: 'an abort signal stops run() with the signal’s reason',
    needs: ['lifecycle'],
    script: 'slow',
    async run({ conn, client }) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await client()
        .run({ image: conn.image }, { interval: 20, signal: controller.signal })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AbortError' });
    },
  },
  {
    name: 'cancel ends a pending request as FAILED canceled; a second cancel is ApiError 409',
    needs: ['lifecycle', 'cancel'],
    script: 'slow',
    async run({ spec, conn, client }) {
      const job = await client().submitAsync({ image: conn.image });
      const canceled = await job.cancel();
      expect(canceled).toMatchObject({ status: 'FAILED', code: 'canceled' });
      await expect(job.cancel()).rejects.toMatchObject({ status: 409, code: 'not_cancelable' });
      await expect(job.wait({ interval: spec.interval })).rejects.toMatchObject({
        name: 'InferenceFailed',
        code: 'canceled',
      });
    },
  },
  {
    name: 'cancel on a deployment without cancel is UnsupportedOperation, and the request goes on',
    needs: ['lifecycle'],
    lacks: ['cancel'],
    async run({ spec, conn, client }) {
      const job = await client().submitAsync({ image: conn.image });
      const error = await job.cancel().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedOperation);
      expect((error as Error).message).toMatch(/does not offer cancel/);
      expect((await job.wait({ interval: spec.interval })).status).toBe('COMPLETED');
    },
  },
  {
    name: 'result() of a pending request is its status body (202 or, as production, 200)',
    needs: ['lifecycle'],
    script: 'slow',
    async run({ conn, client }) {
      const job = await client().submitAsync({ image: conn.image });
      expect(['QUEUED', 'PROCESSING']).toContain((await job.result()).status);
    },
  },
  {
    name: 'wait() follows the status stream: one GET of the status URL, no poll, no result read',
    needs: ['lifecycle', 'status-stream'],
    async run({ conn, client }) {
      const seen: string[] = [];
      const c = client({
        fetch: (request) => (seen.push(`${request.method} ${new URL(request.url).pathname}`), fetch(request)),
      });
      const job = await c.submitAsync({ image: conn.image });
      const states: string[] = [];
      const result = await job.wait({ interval: 1000, onStatus: (body) => states.push(body.status) });
      expect(result).toMatchObject({ status: 'COMPLETED', output: expect.any(String) });
      expect(seen.slice(1)).toEqual([`GET ${new URL(job.statusUrl).pathname}`]);
      expect(states.at(-1)).toBe('COMPLETED');
      expect(new Set(states).size).toBe(states.length); // one event per state
    },
  },
  {
    name: 'rate limited beyond the retries is ApiError 429 with its Retry-After',
    script: 'rate-limited',
    async run({ spec, conn, client }) {
      const error = await client({ maxRetries: 1, maxRetryDelay: 5000 })
        .submitAsync({ image: conn.image })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 429 });
      // Without a `code` in the body, 429 is ambiguous in the error table (rate_limited, queue_full).
      if (spec.capabilities.has('error-codes')) expect(error).toMatchObject({ code: 'rate_limited' });
      expect(typeof (error as ApiError).retryAfter).toBe('number');
    },
  },
  {
    name: 'a 429 with Retry-After is waited out and the submit goes through',
    needs: ['lifecycle'],
    script: 'rate-limit-once',
    async run({ spec, conn, client }) {
      const started = Date.now();
      const result = await client().run({ image: conn.image }, { interval: spec.interval });
      expect(result.status).toBe('COMPLETED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    },
  },
  {
    name: 'a 2xx submit without its URLs is a ProtocolError',
    script: 'bad-submit',
    async run({ conn, client }) {
      const error = await client()
        .submitAsync({ image: conn.image })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).message).toMatch(/request_id.*status_url.*response_url/);
    },
  },
];

/** Registers every scenario for one target; those it cannot act out are reported as skipped. */
export function describeScenarios(spec: TargetSpec, connect: () => Connection): void {
  describe(`client scenarios against ${spec.name}`, () => {
    for (const scenario of scenarios) {
      const headers = scenario.script ? spec.script(scenario.script) : {};
      const unsupported =
        headers === undefined ||
        (scenario.needs ?? []).some((need) => !spec.capabilities.has(need)) ||
        (scenario.lacks ?? []).some((lack) => spec.capabilities.has(lack));
      it.skipIf(unsupported)(scenario.name, async () => {
        const conn = connect();
        await scenario.run({
          spec,
          conn,
          headers: headers ?? {},
          client: (options = {}) =>
            new BgRemovalClient({
              baseUrl: conn.baseUrl,
              apiKey: conn.apiKey,
              ...options,
              headers: { ...headers, ...options.headers },
            }),
        });
      });
    }
  });
}
