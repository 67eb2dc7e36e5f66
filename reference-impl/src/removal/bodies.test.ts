/** Renderers and submit parsing: every body validates against the contract's schemas. */
import { describe, expect, it } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { failedBody, pendingBody, resultBody, statusBody, submitBody } from './bodies.ts';
import { bodyHash, type RemovalRequest } from './request.ts';
import type { RequestRecord } from './store.ts';

const contract = loadContract();
const base = 'http://api.test:8080/';
const t0 = Date.parse('2026-11-24T10:00:00.000Z');

function rec(over: Partial<RequestRecord>): RequestRecord {
  return {
    id: '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7',
    owner: 'k',
    state: 'QUEUED',
    baseUrl: base,
    createdAt: t0,
    metrics: {},
    params: { method: 'object', format: 'png', maskOnly: false, base64: false },
    ...over,
  };
}

const queued = rec({});
const processing = rec({ state: 'PROCESSING', startedAt: t0 + 500, metrics: { queueTime: 0.5 } });
const completed = rec({
  state: 'COMPLETED',
  startedAt: t0 + 500,
  completedAt: t0 + 3000,
  expiresAt: t0 + 3000 + 3_600_000,
  metrics: { queueTime: 0.5, inferenceTime: 2.3004, totalTime: 3, remainingCredits: 41 },
});
const failed = rec({
  state: 'FAILED',
  completedAt: t0 + 1000,
  expiresAt: t0 + 3_601_000,
  error: { code: 'canceled', message: 'The request was canceled.' },
  metrics: { queueTime: 1, totalTime: 1 },
});
const png = { bytes: Buffer.from([1, 2, 3]), contentType: 'image/png' as const };

describe('bodies', () => {
  const cases: { name: string; schema: string; body: unknown }[] = [
    { name: 'submit', schema: 'SubmitResponse', body: submitBody(base, queued.id) },
    { name: 'status QUEUED', schema: 'StatusBody', body: statusBody(queued, base, 3) },
    { name: 'status PROCESSING', schema: 'StatusBody', body: statusBody(processing, base) },
    { name: 'status COMPLETED', schema: 'StatusBody', body: statusBody(completed, base) },
    { name: 'pending QUEUED', schema: 'PendingBody', body: pendingBody(queued, base, 0) },
    { name: 'pending PROCESSING', schema: 'PendingBody', body: pendingBody(processing, base) },
    { name: 'result URL', schema: 'ResultBody', body: resultBody(completed, base, undefined) },
    {
      name: 'result data URI',
      schema: 'ResultBody',
      body: resultBody({ ...completed, params: { ...completed.params, base64: true } }, base, png),
    },
    { name: 'failed', schema: 'FailedBody', body: failedBody(failed) },
  ];
  it.each(cases)('$name validates as $schema', ({ schema, body }) => {
    expect(contract.validateSchema(schema, body)).toEqual([]);
  });

  it('renders absolute URLs, positions only while queued, and the output as URL or data URI', () => {
    expect(submitBody(base, 'abc')).toEqual({
      request_id: 'abc',
      status: 'QUEUED',
      status_url: 'http://api.test:8080/v2/requests/abc/status',
      poll_url: 'http://api.test:8080/v2/requests/abc/status',
      response_url: 'http://api.test:8080/v2/requests/abc',
      cancel_url: 'http://api.test:8080/v2/requests/abc/cancel',
    });
    expect(statusBody(queued, base, 2).queue_position).toBe(2);
    expect(statusBody(processing, base, 2)).not.toHaveProperty('queue_position');
    expect(statusBody(completed, base)).not.toHaveProperty('status_url');
    expect(resultBody(completed, base, undefined)).toMatchObject({
      output: `http://api.test:8080/v2/requests/${completed.id}/output`,
      error: null,
      metrics: { inference_time: 2.3, queue_time: 0.5, total_time: 3, remaining_credits: 41 },
      expires_at: '2026-11-24T11:00:03.000Z',
    });
    expect(resultBody({ ...completed, params: { ...completed.params, base64: true } }, base, png).output).toBe(
      'data:image/png;base64,AQID',
    );
    expect(failedBody(failed)).toMatchObject({
      status: 'FAILED',
      code: 'canceled',
      error: 'The request was canceled.',
    });
  });
});

describe('bodyHash', () => {
  const request = (o: Partial<RemovalRequest>): RemovalRequest => ({
    image: 'x',
    method: 'object',
    format: 'png',
    maskOnly: false,
    base64: false,
    ...o,
  });
  it('hashes requests that mean the same equally', () => {
    const a = bodyHash(request({}));
    expect(bodyHash(request({ bgColor: '#FFFFFF' }))).toBe(bodyHash(request({ bgColor: 'ffffff' })));
    expect(bodyHash(request({ method: 'human' }))).not.toBe(a);
    expect(bodyHash(request({ image: 'y' }))).not.toBe(a);
    expect(bodyHash(request({ image: Buffer.from('x') }))).not.toBe(a);
  });
});
