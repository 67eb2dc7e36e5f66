/** Contract coverage from recorded exchanges: cells per operation × status, extension variants apart, layers not offered left out. */
import { describe, expect, it } from 'vitest';
import { coverageOf, formatCoverage } from './coverage.ts';
import type { Exchange } from './http.ts';

function ex(operationId: string, status: number, contentType = 'application/json', requestType?: string): Exchange {
  return {
    seq: 1,
    check: 'X',
    method: 'GET',
    url: 'http://h/',
    path: '/',
    status,
    contentType,
    headers: {},
    body: Buffer.alloc(0),
    json: undefined,
    ms: 1,
    operationId,
    violations: [],
    startedAt: '',
    request: { headers: requestType ? { 'content-type': requestType } : {} },
  };
}

const cell = (c: ReturnType<typeof coverageOf>, op: string, status: string, variant?: string) =>
  c.cells.find((x) => x.operationId === op && x.status === status && x.variant === variant)!;

describe('coverageOf', () => {
  it('declares every operation × status of the contract, with its layer', () => {
    const c = coverageOf([], new Set());
    expect(c.declared).toBe(c.cells.length);
    expect(cell(c, 'removeBackground', '200')).toMatchObject({ layer: 'core', applicable: true, observed: false });
    expect(cell(c, 'getRequestResult', '202')).toMatchObject({ layer: 'pending-202', applicable: false });
    expect(cell(c, 'cancelRequest', '409')).toMatchObject({ layer: 'cancel' });
    expect(cell(c, 'getRequestStatus', '200', 'text/event-stream')).toMatchObject({ layer: 'status-stream' });
    expect(cell(c, 'submitRemoval', '2xx', 'request multipart/form-data')).toMatchObject({ layer: 'multipart' });
    expect(c.observed).toBe(0);
    expect(c.percent).toBe(0);
  });

  it.each([
    ['a plain 200', [ex('getRequestStatus', 200)], ['200', undefined], true],
    ['a stream is not the plain 200', [ex('getRequestStatus', 200, 'text/event-stream')], ['200', undefined], false],
    [
      'a stream is its own cell',
      [ex('getRequestStatus', 200, 'text/event-stream; charset=utf-8')],
      ['200', 'text/event-stream'],
      true,
    ],
    [
      'a multipart upload answered 200',
      [ex('removeBackground', 200, 'image/png', 'multipart/form-data; boundary=x')],
      ['2xx', 'request multipart/form-data'],
      true,
    ],
    ['another operation does not count', [ex('getRequestResult', 404)], ['404', undefined], false],
  ] as const)('%s', (_what, exchanges, [status, variant], observed) => {
    const op = exchanges[0]!.operationId === 'removeBackground' ? 'removeBackground' : 'getRequestStatus';
    expect(cell(coverageOf(exchanges, new Set(['status-stream', 'multipart'])), op, status, variant).observed).toBe(
      observed,
    );
  });

  it('counts only the cells of the core and the offered extensions', () => {
    const none = coverageOf([ex('cancelRequest', 200)], new Set());
    const offered = coverageOf([ex('cancelRequest', 200)], new Set(['cancel']));
    expect(offered.applicable).toBeGreaterThan(none.applicable);
    expect(none.observed).toBe(0);
    expect(offered.observed).toBe(1);
    expect(offered.percent).toBe(Math.round((1000 * 1) / offered.applicable) / 10);
    expect(formatCoverage(none)).toMatch(/POST \/v2\/requests\/\{request_id\}\/cancel +-200 /);
    expect(formatCoverage(offered)).toMatch(/POST \/v2\/requests\/\{request_id\}\/cancel +200 +\[401\]/);
  });
});
