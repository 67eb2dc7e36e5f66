import { describe, expect, it } from 'vitest';
import { readEvents, type SseEvent } from './sse.ts';

/** A body delivered in the given chunks, to exercise lines and events split across reads. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    pull(controller) {
      const next = bytes.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function all(chunks: string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readEvents(body(chunks))) out.push(e);
  return out;
}

const ev = (data: string, id?: string, event = 'status'): SseEvent => ({ event, data, id });

describe('readEvents', () => {
  it.each([
    { name: 'one event', chunks: ['event: status\nid: 1\ndata: {"a":1}\n\n'], want: [ev('{"a":1}', '1')] },
    { name: 'CRLF line ends', chunks: ['event: status\r\nid: 1\r\ndata: x\r\n\r\n'], want: [ev('x', '1')] },
    {
      name: 'a CRLF split across chunks',
      chunks: ['event: status\r', '\ndata: x\r', '\n\r', '\n'],
      want: [ev('x', undefined)],
    },
    { name: 'lone CR line ends', chunks: ['event: status\rdata: x\r\r'], want: [ev('x', undefined)] },
    {
      name: 'comments (keep-alive) skipped',
      chunks: [': keep-alive\n\n', 'event: status\ndata: x\n\n: keep-alive\n\n'],
      want: [ev('x', undefined)],
    },
    {
      name: 'multi-line data joined by \\n',
      chunks: ['data: a\ndata: b\n\n'],
      want: [ev('a\nb', undefined, 'message')],
    },
    {
      name: 'split in the middle of a field',
      chunks: ['eve', 'nt: status\nda', 'ta: {"s":"QUE', 'UED"}\n', '\n'],
      want: [ev('{"s":"QUEUED"}', undefined)],
    },
    {
      name: 'the id carries over to later events',
      chunks: ['id: 7\ndata: a\n\ndata: b\n\n'],
      want: [ev('a', '7', 'message'), ev('b', '7', 'message')],
    },
    {
      name: 'a BOM and no space after the colon',
      chunks: ['\uFEFFevent:status\ndata:x\n\n'],
      want: [ev('x', undefined)],
    },
    {
      name: 'an unfinished last event is dropped',
      chunks: ['data: a\n\ndata: b\n'],
      want: [ev('a', undefined, 'message')],
    },
    { name: 'an event without data is not dispatched', chunks: ['event: status\nid: 1\n\n'], want: [] },
  ])('$name', async ({ chunks, want }) => {
    expect(await all(chunks)).toEqual(want);
  });

  it('cancels the body when the reader stops early', async () => {
    let canceled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: a\n\n'));
      },
      cancel() {
        canceled = true;
      },
    });
    for await (const e of readEvents(stream)) {
      expect(e.data).toBe('a');
      break;
    }
    expect(canceled).toBe(true);
  });
});
