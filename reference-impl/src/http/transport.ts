/**
 * The HTTP layer below the router: slow-client timeouts, and the shared error body for what Node's parser
 * refuses before Fastify sees a request (bad request line, 408, 431, bad Content-Length or chunking).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../process/config.ts';
import { errors, type ErrorCode } from '../errors.ts';

/** Fastify/Node server options from the config (`bgr serve --help` documents each setting). */
export function transportOptions(config: Config): Partial<FastifyServerOptions> & { http: Record<string, number> } {
  const headersTimeout = Math.round(config.headersTimeoutS * 1000);
  return {
    // Node counts requestTimeout until the request (headers and body) is fully received, not the response.
    requestTimeout: Math.round(config.requestTimeoutS * 1000),
    keepAliveTimeout: Math.round(config.keepAliveTimeoutS * 1000),
    // Node checks its timeouts every connectionsCheckingInterval (30 s by default): check often enough
    // for the headers timeout to mean what it says.
    http: {
      headersTimeout,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.round(headersTimeout / 4))),
    },
    // Ids reach the router up to this length; the path schema (maxLength 128) turns longer ones into 404.
    routerOptions: { maxParamLength: 2048 },
  };
}

/** Node's client errors → a contract code. */
function codeOf(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  return 'invalid_parameter';
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Writes the shared error body on a socket the parser gave up on, then closes it. */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response is already under way on this connection (e.g. a 401 sent while the body trickles in):
  // a second status line would corrupt it; closing is the only answer left.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const code = codeOf(err);
  const { status } = errors[code];
  const detail =
    code === 'invalid_parameter'
      ? `The HTTP request is malformed (${err.code ?? 'parse error'}).`
      : errors[code].message;
  const body = JSON.stringify({ error: detail, code });
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * An `Expect` other than `100-continue` would get Node's bare 417; RFC 9110 lets a server ignore an
 * expectation it does not know, so the request is served as if it had none.
 */
export function ignoreUnknownExpectations(server: Server): void {
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
}
