/** Raw HTTP over a TCP socket, for what fetch/inject cannot send: broken request lines, slow bodies, HTTP/1.0 without Host. */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
  ms: number;
}

/** A request's parts: written in order, with `pauseMs` between them (slow clients). */
export interface RawRequest {
  chunks: (string | Buffer)[];
  pauseMs?: number;
  /** Give up (closed: false) after this long; default 5 s. */
  waitMs?: number;
  /** Keep reading after the first response until the server closes the connection (or waitMs). */
  untilClose?: boolean;
}

/** Sends the chunks and reads the first response (or nothing, if the server closes without one). */
export function rawRequest(url: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const got: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(got).toString('latin1')), closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), req.waitMs ?? 5000);
    socket.on('data', (d) => {
      got.push(d);
      const text = Buffer.concat(got).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, head));
      if (!req.untilClose && head >= 0 && len && text.length >= head + 4 + Number(len[1])) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const [i, c] of req.chunks.entries()) {
        if (settled) return;
        if (i > 0 && req.pauseMs) await new Promise((r) => setTimeout(r, req.pauseMs));
        if (!socket.destroyed) socket.write(c);
      }
    });
  });
}

function parse(text: string): Omit<RawResponse, 'closed' | 'ms'> {
  const head = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || head < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = text.slice(0, head).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(head + 4) };
}
