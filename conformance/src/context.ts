/** The state a check runs with: resolved options, the HTTP layer, fixtures, shared flows and progress reporting. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Profile } from './profile.ts';
import type { ExtensionName } from '@bgr/spec/extensions';
import type { Fixtures } from './fixtures.ts';
import type { Exchange, Http } from './http.ts';

/** Figures a check measured, for the reports (the latency chart reads them). */
export interface CheckDetails {
  latency?: LatencyDetails;
}

/** One latency sample split into what the deployment reports, the suite's own 429 waits, and the rest (network, polling, encoding). */
export interface LatencySample {
  totalS: number;
  inferenceS: number;
  queueS: number;
  waitS: number;
  restS: number;
}
export interface LatencyDetails {
  sloS: number;
  samples: LatencySample[];
  p50: number;
  p95: number;
  p99: number;
}

interface Memo {
  p: Promise<unknown>;
  from: number;
  to?: number;
}

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
  /** Generated cases per fuzz property, and the seed that reproduces them. */
  fuzzRuns: number;
  seed: number;
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
  /** Exchanges of shared flows the running check used (a memo computed by an earlier check counts too). */
  readonly used = new Set<Exchange>();
  /** What the running check measured (reset per check by the runner). */
  details: CheckDetails = {};
  private readonly memos = new Map<string, Memo>();

  constructor(
    readonly options: ResolvedOptions,
    readonly http: Http,
    readonly fixtures: Fixtures,
    private readonly onProgress: (e: ProgressEvent) => void,
    private readonly detect: (ctx: CheckContext, name: ExtensionName) => Promise<Detection> = async () => ({
      offered: undefined,
      evidence: 'no detection',
    }),
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
    let m = this.memos.get(key);
    if (!m) {
      const entry: Memo = { p: fn(), from: this.http.exchanges.length };
      const end = () => void (entry.to ??= this.http.exchanges.length);
      entry.p.then(end, end);
      this.memos.set(key, (m = entry));
    }
    const { p, from } = m;
    const memo = m;
    // The flow's exchanges led to this check's outcome as much as its own: reproductions and reports show them.
    const mark = () =>
      this.http.exchanges.slice(from, memo.to ?? this.http.exchanges.length).forEach((ex) => this.used.add(ex));
    return (p as Promise<T>).then(
      (v) => (mark(), v),
      (e: unknown) => {
        mark();
        throw e;
      },
    );
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
