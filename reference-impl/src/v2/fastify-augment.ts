/** Declares `request.apiKey`, which the server's auth hook sets before any v2 handler runs. */
import type { KeyRecord } from '../ports.ts';

// The server branch's auth hook declares the same; the lead keeps one declaration on merge.
declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: KeyRecord;
  }
}

export {};
