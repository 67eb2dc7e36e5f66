/** The engine wrapper that acts out a request's `fail` and `queued` directives (script.ts) around a real engine call. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine, EngineInput, RemoveOptions, RemoveResult } from '../engine/types.ts';
import { EngineError } from '../engine/types.ts';
import { ApiError } from '../errors.ts';
import { currentScript } from './script.ts';

export function scriptedEngine(inner: Engine): Engine {
  return {
    ready: () => inner.ready(),
    isReady: () => inner.isReady(),
    close: () => inner.close(),
    async removeBackground(input: EngineInput, opts: RemoveOptions): Promise<RemoveResult> {
      const script = currentScript();
      if (script?.queued) {
        // Sync requests have no queue to stay in: never answer, until the deadline (or the client) gives up.
        await sleep(2 ** 31 - 1, undefined, { signal: opts.signal }).catch(() => {});
        throw new EngineError('canceled', 'the request was canceled');
      }
      // The real run first: an image that is really broken fails as itself, and the time is the usual one.
      const result = await inner.removeBackground(input, opts);
      if (script?.fail) throw new ApiError(script.fail, `Scripted failure (${script.fail}) from the sandbox.`);
      return result;
    },
  };
}
