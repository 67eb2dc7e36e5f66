/** The `x-api-key` onRequest hook: authenticates once into `request.caller` and checks the route's scope (spec: AUTH-REQUIRED, AUTH-SCOPE). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller, KeyStore, Scope } from '../ports.ts';
import { authenticate, type KeyIdOf } from '../policy/keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated key, by id (set by the auth hook before validation and handlers run). */
    caller?: Caller;
  }
}

/** onRequest hook: 401 for a missing/unknown key, 403 for a key without the route's scope. Runs before body parsing. */
export function authHook(keys: KeyStore, keyId: KeyIdOf, scope: Scope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    request.caller = await authenticate(keys, keyId, request.headers['x-api-key'], scope);
  };
}
