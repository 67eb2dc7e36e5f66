/** A timer that an AbortSignal can cut short, so waits and retries stop as soon as the caller aborts. */
import { setTimeout as delay } from 'node:timers/promises';

/** Node's abortable timer, rejecting with the signal's own reason (what callers of the client see), not an AbortError. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}
