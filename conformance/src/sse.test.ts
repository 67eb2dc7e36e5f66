import { describe, expect, it } from 'vitest';
import { hasTerminalEvent, parseEvents } from './sse.ts';

describe('parseEvents', () => {
  it.each([
    [
      'one event',
      'event: status\nid: 1\ndata: {"status":"QUEUED"}\n\n',
      [{ event: 'status', id: '1', json: { status: 'QUEUED' } }],
    ],
    [
      'comments and CRLF',
      ': keep-alive\r\n\r\nevent: status\r\nid: 2\r\ndata: {"status":"COMPLETED"}\r\n\r\n',
      [{ event: 'status', id: '2', json: { status: 'COMPLETED' } }],
    ],
    ['default event name, no id', 'data: x\n\n', [{ event: 'message', id: undefined, data: 'x', json: undefined }]],
    ['multi-line data joined', 'data: a\ndata: b\n\n', [{ data: 'a\nb' }]],
  ])('%s', (_name, text, want) => {
    expect(parseEvents(text)).toMatchObject(want);
  });

  it('tells a terminal event from a pending one', () => {
    expect(hasTerminalEvent('event: status\ndata: {"status":"PROCESSING"}\n\n')).toBe(false);
    expect(hasTerminalEvent('event: status\ndata: {"status":"FAILED"}\n\n')).toBe(true);
  });
});
