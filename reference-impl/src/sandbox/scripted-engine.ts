/**
 * The engine wrapper that acts out a request's `fail` directive (script.ts) after a real engine call. (`queued`
 * is the queue wrapper's: a held job never reaches an engine, v1 and v2 alike.)
 */
import type { Engine, EngineInput, RemoveOptions, RemoveResult } from '../engine/types.ts';
import { ApiError } from '../errors.ts';
import { currentScript } from './script.ts';

export function scriptedEngine(inner: Engine): Engine {
  return {
    ready: () => inner.ready(),
    isReady: () => inner.isReady(),
    close: () => inner.close(),
    async removeBackground(input: EngineInput, opts: RemoveOptions): Promise<RemoveResult> {
      // The real run first: an image that is really broken fails as itself, and the time is the usual one.
      const result = await inner.removeBackground(input, opts);
      const script = currentScript();
      if (script?.fail) throw new ApiError(script.fail, `Scripted failure (${script.fail}) from the sandbox.`);
      return result;
    },
  };
}
