/**
 * The sandbox's HTTP hook: reads each request's `x-bgr-sandbox` header (script.ts) once the key is known,
 * answers a `once=` error to every other try, and makes the script current for the rest of the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from '../errors.ts';
import { parseScript, SCRIPT_HEADER, withScript } from './script.ts';

/** Seconds a scripted 429 or 503 asks the client to wait: short, so that retry loops run fast. */
const RETRY_AFTER_S = '1';

export function installScripts(app: FastifyInstance): void {
  // Per key, operation and script: the first try fails, its retry passes, the next try fails again.
  const failedLast = new Set<string>();
  app.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    let script;
    try {
      script = parseScript(request.headers[SCRIPT_HEADER]);
    } catch (e) {
      return done(e as Error);
    }
    if (script?.once) {
      const key = `${String(request.headers['x-api-key'])}\n${request.method} ${request.url}\n${String(request.headers[SCRIPT_HEADER])}`;
      if (failedLast.delete(key) === false) {
        failedLast.add(key);
        const status = new ApiError(script.once).statusCode;
        const headers: Record<string, string> =
          status === 429 || status === 503 ? { 'Retry-After': RETRY_AFTER_S } : {};
        return done(
          new ApiError(
            script.once,
            `Scripted ${status} (${script.once}) from the sandbox; the retry will pass.`,
            headers,
          ),
        );
      }
    }
    withScript(script, () => done());
  });
}
