/** An Engine decorator that records each call's stage timings, so the HTTP bench sees them without changing the server. */
import type { Engine, RemoveOptions, RemoveResult, StageTimings } from '../src/engine/types.ts';

/**
 * Wrapping the engine passed to `startServer` is less invasive than a debug response header: the v1 handler
 * and the contract stay untouched. The bench sends one v1 request at a time, so `last` belongs to it.
 */
export class TimedEngine implements Engine {
  readonly calls: StageTimings[] = [];
  last: StageTimings | undefined;

  constructor(private readonly inner: Engine) {}

  ready(): Promise<void> {
    return this.inner.ready();
  }
  isReady(): boolean {
    return this.inner.isReady();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  async removeBackground(input: Buffer, opts: RemoveOptions): Promise<RemoveResult> {
    const result = await this.inner.removeBackground(input, opts);
    this.last = result.timings;
    this.calls.push(result.timings);
    return result;
  }
}
