/** The state a check runs with: resolved options, the HTTP layer, fixtures, shared flows and progress reporting. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Profile } from './profile.ts';
import type { Fixtures } from './fixtures.ts';
import type { Http } from './http.ts';

export interface ResolvedOptions {
  baseUrl: string;
  apiKey: string;
  secondApiKey?: string;
  profile: Profile;
  /** The retention the deployment declares (seconds). */
  retentionS: number;
  latencySloS: number;
  samples: number;
  /** Deadline for one request to reach a terminal state (seconds). */
  requestTimeoutS: number;
  /** Interval of the fast status polling that watches state order (ms). */
  pollIntervalMs: number;
  /** The largest burst sent to provoke a 429. */
  burst: number;
  /** `full` waits out retention only when it is at most this long (seconds). */
  shortRetentionS: number;
}

export interface ProgressEvent {
  type: 'start' | 'wait' | 'end';
  check: string;
  /** What is awaited (for `wait`). */
  what?: string;
  remainingS?: number;
}

export class CheckContext {
  check = '';
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(
    readonly options: ResolvedOptions,
    readonly http: Http,
    readonly fixtures: Fixtures,
    private readonly onProgress: (e: ProgressEvent) => void,
  ) {}

  /** Runs a shared flow (e.g. one completed request several checks inspect) once per suite run. */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) this.memos.set(key, (p = fn()));
    return p;
  }

  progress(what: string, remainingS?: number): void {
    this.onProgress({ type: 'wait', check: this.check, what, remainingS });
  }

  /** Sleeps, reporting what is awaited and how long remains about once a second. */
  async sleep(ms: number, what: string): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const left = until - Date.now();
      if (ms >= 1500) this.progress(what, Math.ceil(left / 1000));
      await sleep(Math.min(left, 1000));
    }
  }

  /** Sleeps until an absolute local time (ms since epoch). */
  sleepUntil(at: number, what: string): Promise<void> {
    return this.sleep(Math.max(0, at - Date.now()), what);
  }
}
