/** `POST /v1/bg-removal` (operationId removeBackground): the sync endpoint, the v1 use case of the removal service (spec: V1-IMAGE, CREDITS). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../../errors.ts';
import { removalRequestOf } from '../submission.ts';

export function v1Handler(ctx: AppContext) {
  return async function removeBackground(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // The auth hook runs first; reaching here without a caller is a wiring bug, answered as 401 regardless.
    if (!request.caller) throw new ApiError('unauthorized');
    const removal = removalRequestOf(request.body);
    // A client that hangs up frees the worker: the job is canceled, and its credit released.
    const hangup = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) hangup.abort(new ApiError('canceled', 'The client closed the connection.'));
    };
    reply.raw.once('close', onClose);
    try {
      // The HTTP request id is the job's id: server-generated, so a client cannot replay a credit hold.
      const result = await ctx.service.removeNow(request.caller.id, request.id, removal, {
        deadlineS: ctx.config.v1DeadlineS,
        signal: hangup.signal,
      });
      reply.header('x-inference-time', result.inferenceS.toFixed(3));
      if (result.remainingCredits !== null) reply.header('x-remaining-credits', String(result.remainingCredits));
      return reply.code(200).type(result.contentType).send(result.image);
    } finally {
      reply.raw.off('close', onClose);
    }
  };
}
