import { describe, expect, it } from 'vitest';
import { loadContract } from './contract.ts';

const contract = loadContract();
const op = (method: string, path: string) => {
  const found = contract.findOperation(method, path);
  if (!found) throw new Error(`no operation for ${method} ${path}`);
  return found;
};

describe('contract lookup', () => {
  it.each([
    ['POST', '/v1/bg-removal', 'removeBackground'],
    ['POST', '/v2/bg-removal', 'submitRemoval'],
    ['GET', '/v2/requests/abc/status', 'getRequestStatus'],
    ['GET', '/v2/requests/abc', 'getRequestResult'],
    ['GET', '/v2/requests/abc/output?x=1', 'getRequestOutput'],
    ['POST', '/v2/requests/abc/cancel', 'cancelRequest'],
  ])('%s %s → %s', (method, path, id) => {
    expect(contract.findOperation(method, path)?.operationId).toBe(id);
  });

  it('has no operation for an unknown path', () => {
    expect(contract.findOperation('GET', '/v3/nothing')).toBeUndefined();
  });
});

describe('response validation', () => {
  const failed = {
    request_id: 'r1',
    status: 'FAILED',
    error: 'bad',
    code: 'invalid_image',
    metrics: {},
  };
  const cases: [string, string, number, string, unknown, string | null][] = [
    ['FAILED body on 422', '/v2/requests/r1/status', 422, 'application/json', failed, null],
    [
      'FAILED body with an unknown code',
      '/v2/requests/r1/status',
      422,
      'application/json',
      { ...failed, code: 'oops' },
      'response_schema_conformance',
    ],
    [
      '200 on the status endpoint with FAILED',
      '/v2/requests/r1/status',
      200,
      'application/json',
      failed,
      'response_schema_conformance',
    ],
    ['undeclared status', '/v2/requests/r1/status', 418, 'application/json', {}, 'status_code_conformance'],
    ['wrong content type', '/v2/requests/r1/status', 404, 'text/html', '<html>', 'content_type_conformance'],
    [
      '404 error body',
      '/v2/requests/r1',
      404,
      'application/json; charset=utf-8',
      { error: 'x', code: 'not_found' },
      null,
    ],
    [
      '202 pending body carrying an output',
      '/v2/requests/r1',
      202,
      'application/json',
      { request_id: 'r1', status: 'PROCESSING', created_at: '2026-01-01T00:00:00Z', metrics: {}, output: 'http://x/o' },
      'response_schema_conformance',
    ],
    [
      'COMPLETED without inference_time',
      '/v2/requests/r1',
      200,
      'application/json',
      {
        request_id: 'r1',
        status: 'COMPLETED',
        output: 'http://x/o',
        expires_at: '2026-01-01T00:00:00Z',
        metrics: { queue_time: 1, total_time: 1 },
      },
      'response_schema_conformance',
    ],
  ];
  it.each(cases)('%s', (_name, path, status, type, body, expected) => {
    const checks = contract.validateResponse(op('GET', path), status, type, body).map((v) => v.check);
    expect(checks).toEqual(expected ? [expected] : []);
  });

  it('accepts PNG bytes on v1 and rejects JSON there', () => {
    const v1 = op('POST', '/v1/bg-removal');
    expect(contract.validateResponse(v1, 200, 'image/png', Buffer.alloc(1))).toEqual([]);
    expect(contract.validateResponse(v1, 200, 'application/json', {})[0]?.check).toBe('content_type_conformance');
  });
});
