/** A submitted v2 request: poll it, wait for it, fetch its output, cancel it — always via the URLs the server gave. */
import type { Client } from 'openapi-fetch';
import type { paths } from '../spec/generated/index.ts';
import { apiError, InferenceTimeout, ProtocolError, UnsupportedOperation } from './errors.ts';
import { guard } from './guard.ts';
import { decodeDataUri } from './image-input.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sleep } from './sleep.ts';
import { streamStatus } from './status-stream.ts';
import type { Transport } from './transport.ts';
import type { CallOptions, FailedBody, ImageBytes, PendingBody, ResultBody, StatusBody, WaitOptions } from './types.ts';
import { failure, readResult, readV2Body } from './v2-body.ts';

/** What a Job needs from its client. */
export interface JobContext {
  api: Client<paths>;
  transport: Transport;
}

/** Where a job's endpoints live: from the submit answer, or built from the base URL when resuming by id. */
export interface JobUrls {
  statusUrl: string;
  responseUrl: string;
  /** The production service has no cancel; then the contract's path under the base URL is tried. */
  cancelUrl: string;
}

export const DEFAULT_TIMEOUT = 600_000;
export const DEFAULT_INTERVAL = 1000;
// setTimeout fires at once for delays past 2^31-1 ms; such deadlines mean "no deadline".
const MAX_TIMER = 2 ** 31 - 1;

export class Job {
  readonly statusUrl: string;
  readonly responseUrl: string;
  readonly cancelUrl: string;
  #result: ResultBody | undefined;

  constructor(
    private readonly ctx: JobContext,
    readonly requestId: string,
    urls: JobUrls,
  ) {
    this.statusUrl = urls.statusUrl;
    this.responseUrl = urls.responseUrl;
    this.cancelUrl = urls.cancelUrl;
  }

  private path() {
    return { path: { request_id: this.requestId } };
  }

  /** The current state. A FAILED request is reported, not thrown: asking for a state is not a failure. */
  async status(options: CallOptions = {}): Promise<StatusBody | FailedBody> {
    const { data, error, response } = await guard(
      this.ctx.api.GET('/v2/requests/{request_id}/status', {
        params: this.path(),
        signal: options.signal,
        fetch: this.ctx.transport.fetcher({ url: this.statusUrl, retryNetworkErrors: true }),
      }),
    );
    return readV2Body(response, data ?? error) as StatusBody | FailedBody;
  }

  /** The result if COMPLETED, the pending status body otherwise; throws InferenceFailed once FAILED. */
  async result(options: CallOptions = {}): Promise<ResultBody | PendingBody> {
    if (this.#result) return this.#result;
    const { data, error, response } = await guard(
      this.ctx.api.GET('/v2/requests/{request_id}', {
        params: this.path(),
        signal: options.signal,
        fetch: this.ctx.transport.fetcher({ url: this.responseUrl, retryNetworkErrors: true }),
      }),
    );
    const body = readV2Body(response, data ?? error);
    if (body.status === 'FAILED') throw failure(body);
    if (body.status === 'COMPLETED') return (this.#result = readResult(response, body));
    return body as PendingBody;
  }

  /**
   * Waits until the request ends; resolves with the result or throws InferenceFailed/InferenceTimeout.
   * Follows the status stream where the deployment offers it (one long GET), else polls every `interval`.
   */
  async wait(options: WaitOptions = {}): Promise<ResultBody> {
    if (this.#result) return this.#result;
    const { timeout = DEFAULT_TIMEOUT, interval = DEFAULT_INTERVAL, signal, stream = true, onStatus } = options;
    const started = Date.now();
    // The deadline aborts in-flight requests too, so a hung server cannot stretch the wait past `timeout`.
    const deadline = new AbortController();
    const timer =
      Number.isFinite(timeout) && timeout <= MAX_TIMER
        ? setTimeout(() => deadline.abort(), Math.max(0, timeout))
        : undefined;
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    try {
      let skipPoll = false;
      if (stream) {
        const fetcher = this.ctx.transport.fetcher({ url: this.statusUrl, retryNetworkErrors: true });
        const outcome = await streamStatus(fetcher, this.statusUrl, combined, onStatus);
        if (outcome.kind === 'result') return (this.#result = outcome.result);
        // Not offered: that answer was this wait's first poll, so the loop starts with a pause.
        skipPoll = outcome.kind === 'poll' && !outcome.streamed;
      }
      for (;;) {
        if (skipPoll) {
          skipPoll = false;
          await sleep(interval, combined);
        }
        const state = await this.status({ signal: combined });
        onStatus?.(state);
        if (state.status === 'FAILED') throw failure(state);
        if (state.status === 'COMPLETED') {
          const result = await this.result({ signal: combined });
          if (result.status === 'COMPLETED') return result;
          // The status said COMPLETED but the result is not served yet (replica lag): keep polling.
        }
        await sleep(interval, combined);
      }
    } catch (err) {
      if (deadline.signal.aborted && !signal?.aborted) throw new InferenceTimeout(this.requestId, Date.now() - started);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the result, then fetches the image bytes from its `output` (a URL or a data: URI). */
  async output(options: WaitOptions = {}): Promise<ImageBytes> {
    const result = await this.wait(options);
    if (result.output.startsWith('data:')) return decodeDataUri(result.output);
    const { data, error, response } = await this.ctx.api.GET('/v2/requests/{request_id}/output', {
      params: this.path(),
      parseAs: 'arrayBuffer',
      signal: options.signal,
      fetch: this.ctx.transport.fetcher({ url: result.output, retryNetworkErrors: true }),
    });
    if (!response.ok)
      throw apiError(
        response.status,
        error,
        parseRetryAfter(response.headers.get('retry-after')),
        response.headers.get('x-request-id') ?? undefined,
      );
    if (!data || data.byteLength === 0) throw new ProtocolError('Output is empty', response.status, undefined);
    return {
      image: Buffer.from(data),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    };
  }

  /**
   * Cancels a pending request (it ends FAILED with code `canceled`); an ended one answers ApiError 409.
   * A deployment without cancel (the production service) throws UnsupportedOperation.
   */
  async cancel(options: CallOptions = {}): Promise<FailedBody> {
    const { data, error, response } = await guard(
      this.ctx.api.POST('/v2/requests/{request_id}/cancel', {
        params: this.path(),
        signal: options.signal,
        // Not retried on network errors: a lost answer to a cancel that took effect would come back as 409.
        fetch: this.ctx.transport.fetcher({ url: this.cancelUrl, retryNetworkErrors: false }),
      }),
    );
    if (response.status === 404 || response.status === 405) {
      // 404 may mean an unknown id, or no such endpoint: the request's own status tells which.
      await this.status({ signal: options.signal });
      throw new UnsupportedOperation(
        'cancel',
        `This deployment does not offer cancel (POST ${this.cancelUrl} answered ${response.status}); the request goes on.`,
      );
    }
    const body = readV2Body(response, data ?? error);
    if (body.status !== 'FAILED')
      throw new ProtocolError(`Cancel answered with status ${body.status}`, response.status, body);
    return body;
  }
}
