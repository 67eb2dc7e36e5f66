/** A Server-Sent Events reader (the WHATWG `text/event-stream` format) over a fetch body, for the status stream. */

/** One dispatched event; `event` defaults to `message` as in EventSource. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Yields the events of a `text/event-stream` body as they arrive. Comment lines (`: keep-alive`) and
 * unknown fields are skipped, an event is dispatched at each blank line, and an unfinished event at the
 * end of the body is dropped, as the standard says. Stopping the iteration cancels the body.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let first = true;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (first && buffer) {
        buffer = buffer.replace(/^\uFEFF/, ''); // an optional BOM
        first = false;
      }
      // A CR at the end may be the first half of a CRLF split across chunks: keep it until the next one.
      const lineEnd = done ? /\r\n|\r|\n/g : /\r\n|\r(?!$)|\n/g;
      let match: RegExpExecArray | null;
      let start = 0;
      while ((match = lineEnd.exec(buffer)) !== null) {
        const line = buffer.slice(start, match.index);
        start = match.index + match[0].length;
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(fieldValue);
        else if (field === 'event') event = fieldValue;
        else if (field === 'id' && !fieldValue.includes('\0')) id = fieldValue;
      }
      buffer = buffer.slice(start);
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
