/** The state a check runs with: resolved options, the HTTP layer, fixtures, shared flows and progress reporting. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Profile } from './profile.ts';
import type { ExtensionName } from '@bgr/spec/extensions';
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
  /** A key valid for v1 but without the v2 scope (AUTH-SCOPE-403). */
  scopedKey?: string;
  /** A key whose balance is exactly one credit (CREDITS-406). */
  lowCreditKey?: string;
  /** Where the suite's webhook receiver listens (`host:port`) and the secret that signs deliveries. */
  webhookListen?: string;
  webhookSecret?: string;
  /** Extensions the deployment promises: not offered → the run fails. */
  requireExtensions: ExtensionName[];
}

/** Whether a deployment offers an extension, decided from its behaviour; undefined when it could not be told. */
export interface Detection {
  offered: boolean | undefined;
  /** What showed it (an exchange summary, or why it could not be told). */
  evidence: string;
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
    private readonly detect: (ctx: CheckContext, name: ExtensionName) => Promise<Detection> = async () => ({ offered: undefined, evidence: 'no detection' }),
  ) {}

  /** Detects (once per run) whether the deployment offers an extension. */
  offered(name: ExtensionName): Promise<Detection> {
    return this.memo(`extension:${name}`, () => this.detect(this, name));
  }

  /** True only when the extension was seen offered (unknown counts as not offered). */
  async has(name: ExtensionName): Promise<boolean> {
    return (await this.offered(name)).offered === true;
  }

  /** Runs a shared flow (e.g. one completed request several checks inspect) once per suite run. */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) this.memos.set(key, (p = fn()));
    return p;
  }

  private readonly closers: (() => Promise<void>)[] = [];

  /** Registers something to release when the run ends (e.g. the webhook receiver). */
  defer(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((c) => c().catch(() => {})));
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
