/**
 * The job-queue wrapper that carries a v2 submit's script (script.ts) to its job: the script in force when a
 * request is enqueued is remembered by request id and is current again while its job runs; `queued`
 * requests are held here (QUEUED until canceled or shut down) instead of reaching a worker.
 */
import type { JobQueue } from '../removal/queue.ts';
import { currentScript, withScript, type Script } from './script.ts';

export function scriptedQueue(inner: JobQueue): JobQueue {
  const scripts = new Map<string, Script>();
  const held: string[] = [];
  return {
    async add(requestId, opts) {
      const script = currentScript();
      if (script) scripts.set(requestId, script);
      if (script?.queued) held.push(requestId);
      else await inner.add(requestId, opts);
    },
    async position(requestId) {
      const i = held.indexOf(requestId);
      return i >= 0 ? i : inner.position(requestId);
    },
    async cancel(requestId) {
      const i = held.indexOf(requestId);
      if (i < 0) return inner.cancel(requestId);
      held.splice(i, 1);
      scripts.delete(requestId);
      return true;
    },
    start(processor) {
      inner.start(async (requestId, ctx) => {
        try {
          await withScript(scripts.get(requestId), () => processor(requestId, ctx));
        } finally {
          scripts.delete(requestId);
        }
      });
    },
    async close(graceMs) {
      const abandoned = await inner.close(graceMs);
      // Held requests never ran: like waiting jobs of the memory queue, the lifecycle ends them.
      return [...abandoned, ...held.splice(0)];
    },
  };
}
