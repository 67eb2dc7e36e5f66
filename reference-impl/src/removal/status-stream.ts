/** The `status-stream` extension's body: Server-Sent Events of one request's states, ending with its terminal body. */
import { PassThrough, type Readable } from 'node:stream';
import { isTerminal, type RequestState } from './store.ts';

/** One observation of the request: its state and the JSON body that state is served with. */
export interface Snapshot {
  state: RequestState;
  body: unknown;
}

export interface StatusStreamOptions {
  /** The current snapshot; undefined once the request is gone (expired): the stream then ends. */
  read(): Promise<Snapshot | undefined>;
  /** Calls `onChange` (possibly spuriously) after the record may have changed; returns the unsubscribe. */
  watch?(onChange: () => void): () => void;
  /** Re-read at least this often even without a change notice (pub/sub can drop one across a reconnect). */
  resyncMs: number;
  /** A `: keep-alive` comment this often while pending, so proxies do not close an idle stream. */
  keepAliveMs: number;
  /** Ends the stream (server shutdown). */
  signal?: AbortSignal;
  onError?(err: unknown): void;
}

/** The `text/event-stream` response headers of the wire format. */
export const streamHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx and similar proxies would otherwise buffer the events.
  'x-accel-buffering': 'no',
} as const;

/** One `status` event: `event`, a 1-based `id`, and the body as a single `data:` line (JSON has no raw newline). */
export function formatEvent(id: number, body: unknown): string {
  return `event: status\nid: ${id}\ndata: ${JSON.stringify(body)}\n\n`;
}

/**
 * The stream: subscribes first and then reads (so no change falls between the two), emits the current
 * state, then one event per state change, never the same state twice, and ends after a terminal one.
 * Closing the returned stream (the client went away) unsubscribes and clears every timer.
 */
export function statusStream(o: StatusStreamOptions): Readable {
  const out = new PassThrough();
  const stop = new AbortController();
  out.once('close', () => stop.abort());
  const onShutdown = () => stop.abort();
  o.signal?.addEventListener('abort', onShutdown, { once: true });
  const write = (chunk: string) => {
    if (!out.destroyed && !out.writableEnded) out.write(chunk);
  };

  let changed = false;
  let wake = () => {};
  const unwatch = o.watch?.(() => {
    changed = true;
    wake();
  });
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), o.keepAliveMs);

  void (async () => {
    let last: RequestState | undefined;
    let id = 0;
    try {
      while (!stop.signal.aborted) {
        changed = false;
        const snap = await o.read();
        if (!snap || stop.signal.aborted) break;
        if (snap.state !== last) {
          write(formatEvent(++id, snap.body));
          last = snap.state;
        }
        if (isTerminal(snap.state)) break;
        if (!changed)
          await pause(o.resyncMs, stop.signal, (w) => {
            wake = w;
          });
      }
    } catch (err) {
      o.onError?.(err); // a backend outage ends the stream; the client reconnects or polls
    } finally {
      clearInterval(keepAlive);
      unwatch?.();
      o.signal?.removeEventListener('abort', onShutdown);
      if (!out.destroyed) out.end();
    }
  })();
  return out;
}

/** Waits for `ms`, a wake-up (handed to `setWake`) or the abort, whichever comes first. */
function pause(ms: number, signal: AbortSignal, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      setWake(() => {});
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    setWake(done);
  });
}
