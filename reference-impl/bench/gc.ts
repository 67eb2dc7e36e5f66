/** A garbage-collect function for memory figures: `global.gc` when node runs with --expose-gc, else enabled at runtime. */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * `npm run bench` runs plain `node bin/bgr.mjs`, so --expose-gc cannot be on the command line; setting the
 * flag at runtime and fetching `gc` from a fresh context is the documented V8 way to get it anyway.
 */
export function exposeGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Collects twice (weak refs and finalizers free more on the second pass), letting timers run in between. */
export async function collect(gc: (() => void) | undefined): Promise<void> {
  if (!gc) return;
  gc();
  await sleep(50);
  gc();
}
