/**
 * Scripted outcomes: the `x-bgr-sandbox` request header that makes a sandbox request take a chosen path, and the
 * async context that carries a request's script to the engine and to its v2 job.
 *
 * `x-bgr-sandbox: <directive>[, <directive>…]`, directives:
 * - `fail=<code>`: the request ends with that error code from the contract's table (v1: its HTTP status;
 *   v2: FAILED, HTTP 422, with the code), after the normal per-image time;
 * - `delay=<seconds>`: the image takes that long (v1: the response waits; v2: PROCESSING that long);
 * - `queued`: the job stays QUEUED until canceled (v1: no answer before the deadline → 504 `deadline_exceeded`);
 * - `once=<status or code>`: that error answers this request, and its retry succeeds (429 `rate_limited` with
 *   `Retry-After: 1`, 500 `internal`, 502 `worker_unavailable`, 503 `service_unavailable`, 504
 *   `deadline_exceeded`, or any code from the table).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ApiError, errors, type ErrorCode } from '../errors.ts';

export const SCRIPT_HEADER = 'x-bgr-sandbox';

export interface Script {
  fail?: ErrorCode;
  delayS?: number;
  queued?: boolean;
  once?: ErrorCode;
}

/** `once=` accepts a status for the codes a client most often retries. */
const byStatus: Record<string, ErrorCode> = {
  '429': 'rate_limited',
  '500': 'internal',
  '502': 'worker_unavailable',
  '503': 'service_unavailable',
  '504': 'deadline_exceeded',
};

/** The longest scripted delay: past any v1 deadline and poll budget a client is likely to test. */
export const MAX_DELAY_S = 600;

function code(value: string, directive: string): ErrorCode {
  const c = byStatus[value] ?? value;
  if (!Object.hasOwn(errors, c)) {
    throw new ApiError(
      'invalid_parameter',
      `${SCRIPT_HEADER}: ${directive}= must be an error code of the contract or one of ${Object.keys(byStatus).join(', ')}; got '${value}'.`,
    );
  }
  return c as ErrorCode;
}

/** Parses the header; undefined when absent. A malformed script is the caller's mistake: 400 naming it. */
export function parseScript(header: string | string[] | undefined): Script | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  const script: Script = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value = ''] = part.split('=', 2).map((s) => s.trim());
    if (name === 'fail') script.fail = code(value, name);
    else if (name === 'once') script.once = code(value, name);
    else if (name === 'queued' && value === '') script.queued = true;
    else if (name === 'delay') {
      const s = Number(value);
      if (value === '' || !Number.isFinite(s) || s < 0 || s > MAX_DELAY_S) {
        throw new ApiError(
          'invalid_parameter',
          `${SCRIPT_HEADER}: delay= must be seconds between 0 and ${MAX_DELAY_S}; got '${value}'.`,
        );
      }
      script.delayS = s;
    } else {
      throw new ApiError(
        'invalid_parameter',
        `${SCRIPT_HEADER}: unknown directive '${part}' (fail=<code>, delay=<seconds>, queued, once=<status|code>).`,
      );
    }
  }
  return script;
}

/** The script of the request (or v2 job) whose code is running now. */
const current = new AsyncLocalStorage<Script | undefined>();

export function currentScript(): Script | undefined {
  return current.getStore();
}

/** Runs `fn` with `script` as the current one (for everything it awaits, too). */
export function withScript<T>(script: Script | undefined, fn: () => T): T {
  return current.run(script, fn);
}
