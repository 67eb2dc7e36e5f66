/**
 * The sandbox, composed: the model-free engine (engine/sandbox) behind the scripted-outcome wrapper, whose
 * per-image time a request's `delay=` overrides; the HTTP hook and the queue wrapper that carry scripts.
 */
import { createSandboxEngine } from '../engine/sandbox/index.ts';
import type { Engine } from '../engine/types.ts';
import { scriptedEngine } from './scripted-engine.ts';
import { currentScript } from './script.ts';

export { installScripts } from './plugin.ts';
export { installProductionShape } from './production-shape.ts';
export { scriptedQueue } from './scripted-queue.ts';
export { parseScript, SCRIPT_HEADER, type Script } from './script.ts';
export { DEFAULT_SANDBOX_MS } from '../engine/sandbox/index.ts';

/** The sandbox's engine: `timeMs` per image unless the request's script says `delay=`. */
export function createSandbox(opts: { maxPixels: number; timeMs: number }): Engine {
  const timeMs = () => {
    const delayS = currentScript()?.delayS;
    return delayS === undefined ? opts.timeMs : delayS * 1000;
  };
  return scriptedEngine(createSandboxEngine({ maxPixels: opts.maxPixels, timeMs }));
}
