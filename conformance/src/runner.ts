/** Programmatic entry: `runChecks(options)` runs the selected checks against a deployment and returns a Report. */
import type { ExtensionName } from '@bgr/spec/extensions';
import type { Profile } from './check.ts';
import { CheckContext, type Detection, type ProgressEvent, type ResolvedOptions } from './context.ts';
import { coverageOf } from './coverage.ts';
import { DEFAULTS } from './defaults.ts';
import { detectExtension } from './extensions.ts';
import { loadFixtures } from './fixtures.ts';
import { ConnectionError, Http, summarise, type Exchange } from './http.ts';
import { CheckFailure, CheckSkip } from './outcome.ts';
import { provenance } from './provenance.ts';
import { selectChecks } from './registry.ts';
import { summarize, verdicts, type CheckResult, type Report } from './report.ts';

export interface RunOptions {
  baseUrl: string;
  apiKey: string;
  secondApiKey?: string;
  profile?: Profile;
  retentionS?: number;
  latencySloS?: number;
  samples?: number;
  /** Run only these check IDs (whatever their profiles). */
  only?: readonly string[];
  requestTimeoutS?: number;
  pollIntervalMs?: number;
  burst?: number;
  shortRetentionS?: number;
  /** A key valid for v1 without the v2 scope: enables AUTH-SCOPE-403. */
  scopedKey?: string;
  /** A key whose balance is one credit: enables CREDITS-406. */
  lowCreditKey?: string;
  /** `host:port` for the suite's webhook receiver, and the Standard Webhooks secret: enable WEBHOOK-SIGNED. */
  webhookListen?: string;
  webhookSecret?: string;
  /** Run the fuzz properties with this many generated cases each (the `fuzz` profile runs them with the default). */
  fuzzRuns?: number;
  /** The seed of the generated cases (a run reports it; the same seed generates the same cases). */
  seed?: number;
  /** Extensions the deployment promises: any not offered fails the run. */
  requireExtensions?: readonly ExtensionName[];
  /** Live progress: check start/end and what a long wait is waiting for. */
  onProgress?: (event: ProgressEvent) => void;
  /** Called (and awaited) as each check ends, with the exchanges that led to its outcome (its own, and the one a failure cites). */
  onResult?: (result: CheckResult, exchanges: readonly Exchange[]) => void | Promise<void>;
  /** Called once at the end with every exchange of the run, in order (for a HAR file). */
  onExchanges?: (all: readonly Exchange[]) => void | Promise<void>;
}

export { ConnectionError };

export function resolveOptions(o: RunOptions): ResolvedOptions {
  return {
    baseUrl: o.baseUrl,
    apiKey: o.apiKey,
    secondApiKey: o.secondApiKey,
    profile: o.profile ?? DEFAULTS.profile,
    retentionS: o.retentionS ?? DEFAULTS.retentionS,
    latencySloS: o.latencySloS ?? DEFAULTS.latencySloS,
    samples: o.samples ?? DEFAULTS.samples,
    requestTimeoutS: o.requestTimeoutS ?? DEFAULTS.requestTimeoutS,
    pollIntervalMs: o.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    burst: o.burst ?? DEFAULTS.burst,
    shortRetentionS: o.shortRetentionS ?? DEFAULTS.shortRetentionS,
    scopedKey: o.scopedKey,
    lowCreditKey: o.lowCreditKey,
    webhookListen: o.webhookListen,
    webhookSecret: o.webhookSecret,
    requireExtensions: [...(o.requireExtensions ?? [])],
    fuzzRuns: o.fuzzRuns ?? DEFAULTS.fuzzRuns,
    seed: o.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0,
  };
}

/**
 * Runs the checks. Throws ConnectionError when the deployment cannot be reached at all and Error for
 * an unknown `only` ID; a check that fails never throws out of here.
 */
export async function runChecks(options: RunOptions): Promise<Report> {
  const opts = resolveOptions(options);
  const checks = selectChecks(opts.profile, options.only, options.fuzzRuns !== undefined);
  const progress = options.onProgress ?? (() => {});
  const http = new Http({
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    timeoutMs: opts.requestTimeoutS * 1000,
    onWait: (what, remainingS) => progress({ type: 'wait', check: http.check, what, remainingS }),
  });
  const started = Date.now();
  // One unauthenticated request first: if nothing answers, there is no deployment to judge.
  http.check = '(preflight)';
  await http.get(`/v2/requests/00000000-0000-4000-8000-000000000000/status`, { key: null, retry429: false });
  const fixtures = await loadFixtures();
  const detections = new Map<ExtensionName, Detection>();
  const detect = async (c: CheckContext, name: ExtensionName) => {
    const d = await detectExtension(c, name);
    detections.set(name, d);
    return d;
  };
  const ctx = new CheckContext(opts, http, fixtures, progress, detect);
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      ctx.check = http.check = check.id;
      progress({ type: 'start', check: check.id });
      const from = http.exchanges.length;
      ctx.used.clear();
      ctx.details = {};
      const startedAt = new Date().toISOString();
      const t0 = performance.now();
      let outcome: CheckResult['outcome'] = 'pass';
      let reason = '';
      let notOffered = false;
      let cited: Exchange | undefined;
      try {
        const d = check.extension ? await ctx.offered(check.extension) : undefined;
        if (d && d.offered !== true) {
          notOffered = d.offered === false;
          throw new CheckSkip(
            `extension \`${check.extension}\` ${d.offered === false ? 'not offered' : 'not checked'}: ${d.evidence}`,
          );
        }
        reason = (await check.run(ctx)) ?? '';
      } catch (e) {
        if (e instanceof CheckSkip) {
          outcome = 'skip';
          reason = e.message;
        } else {
          outcome = 'fail';
          if (e instanceof CheckFailure) cited = e.exchange;
          reason =
            e instanceof CheckFailure || e instanceof ConnectionError
              ? e.message
              : `error: ${(e as Error).stack ?? String(e)}`;
        }
      }
      const own = http.exchanges.slice(from).slice(-50);
      // Shared flows an earlier check ran, and the exchange a failure cites, led to the outcome too.
      const led = [...new Set([...(cited ? [cited] : []), ...ctx.used, ...own])]
        .sort((a, b) => a.seq - b.seq)
        .slice(-50);
      const result: CheckResult = {
        id: check.id,
        level: check.level,
        clause: check.clause,
        layer: check.extension ?? 'core',
        sentence: check.sentence,
        outcome,
        reason,
        ...(notOffered ? { notOffered } : {}),
        startedAt,
        durationMs: Math.round(performance.now() - t0),
        exchanges: own.map(summarise),
        ...(cited ? { cited: cited.seq } : {}),
        ...(ctx.details.latency ? { latency: ctx.details.latency } : {}),
      };
      results.push(result);
      progress({ type: 'end', check: check.id });
      await options.onResult?.(result, led);
    }
    // A required extension is detected even when no check of it ran in this profile.
    for (const name of opts.requireExtensions) {
      if (!detections.has(name)) {
        ctx.check = http.check = `(detect ${name})`;
        await ctx.offered(name);
      }
    }
  } finally {
    await ctx.close();
  }
  await options.onExchanges?.(http.exchanges);
  const offered = new Set([...detections].filter(([, d]) => d.offered === true).map(([name]) => name));
  const finished = Date.now();
  return {
    baseUrl: opts.baseUrl,
    profile: opts.profile,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    provenance: provenance(opts, fixtures),
    results,
    summary: summarize(results),
    coverage: coverageOf(http.exchanges, offered),
    ...verdicts(results, detections, opts.requireExtensions),
  };
}
