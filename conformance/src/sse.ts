/** Server-Sent Events as the status-stream extension sends them: parsing a read stream into its events. */

export interface SseEvent {
  event: string;
  id?: string;
  /** The data lines joined with newlines (the spec's rule). */
  data: string;
  /** The data parsed as JSON, undefined when it does not parse. */
  json: unknown;
}

/** Parses an event stream's text (WHATWG HTML §9.2 rules, minus retry): comment lines are skipped. */
export function parseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) continue;
    const joined = data.join('\n');
    let json: unknown;
    try {
      json = JSON.parse(joined);
    } catch {
      json = undefined;
    }
    events.push({ event, id, data: joined, json });
  }
  return events;
}

/** Whether the stream text so far holds an event whose JSON status is terminal. */
export function hasTerminalEvent(text: string): boolean {
  return parseEvents(text).some((e) => {
    const st = (e.json as { status?: unknown } | undefined)?.status;
    return st === 'COMPLETED' || st === 'FAILED';
  });
}
