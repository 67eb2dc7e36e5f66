/** `POST /v1/bg-removal` (operationId removeBackground): the sync endpoint, with credits and the v1 deadline (spec: V1-IMAGE, CREDITS; issue 3). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RemoveRequest } from '@bgr/spec';
import type { AppContext } from '../context.ts';
import { ApiError } from '../../errors.ts';
import { resolveImage } from '../../input/image.ts';

/** The body after validation: JSON as in the contract; multipart with `image` as the file's bytes. */
type V1Body = Omit<RemoveRequest, 'image'> & { image: string | Buffer };

export function v1Handler(ctx: AppContext) {
  return async function removeBackground(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = request.body as V1Body;
    const key = request.apiKey!;
    // The HTTP request id doubles as the credit-hold id: it is server-generated, so a client cannot replay it.
    // A v1 call never outlives its deadline, so neither does its hold (a node killed mid-call must not pin a credit for a day).
    const deadlineS = ctx.config.v1DeadlineS;
    if (!(await ctx.keys.hold(key.key, request.id, (deadlineS + 60) * 1000))) throw new ApiError('insufficient_credits');
    let settled = false;
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new ApiError('deadline_exceeded', `The image was not processed within ${deadlineS} s.`)), deadlineS * 1000);
    // A client that hangs up frees the worker: the job is aborted, and the hold released below.
    const onClose = () => { if (!reply.raw.writableFinished) controller.abort(new ApiError('canceled', 'The client closed the connection.')); };
    reply.raw.once('close', onClose);
    try {
      const work = (async () => {
        const img = await resolveImage(body.image, ctx.input, controller.signal);
        return ctx.engine.removeBackground(img.bytes, {
          method: body.method ?? 'object',
          format: body.format ?? 'png',
          maskOnly: body.mask_only ?? false,
          bgColor: body.bg_color,
          signal: controller.signal,
        });
      })();
      // Race so the deadline holds even if a fetch or an engine ignores the signal.
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      work.catch(() => {});
      aborted.catch(() => {});
      const result = await Promise.race([work, aborted]);
      const remaining = await ctx.keys.settle(key.key, request.id, true);
      settled = true;
      reply.header('x-inference-time', (result.timings.infer / 1000).toFixed(3));
      if (remaining !== null) reply.header('x-remaining-credits', String(remaining));
      return reply.code(200).type(result.contentType).send(result.image);
    } finally {
      clearTimeout(deadline);
      reply.raw.off('close', onClose);
      if (!settled) await ctx.keys.settle(key.key, request.id, false);
    }
  };
}
