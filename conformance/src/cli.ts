/** `bgr check`: runs the suite against a deployment; exit 0 when the core and every offered (and required) extension pass every MUST, 1 otherwise, 2 for usage or connection errors. */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { extensions, type ExtensionName } from '@bgr/spec/extensions';
import { parseArgsOptions, usage } from './cli-options.ts';
import { DEFAULTS } from './defaults.ts';
import { toAttestation } from './attestation.ts';
import type { Profile } from './check.ts';
import { formatCoverage } from './coverage.ts';
import { formatReproduction, formatResult, formatSummary } from './format.ts';
import { imageEvidence, type ImageEvidence } from './evidence.ts';
import { loadFixtures } from './fixtures.ts';
import { toHar } from './har.ts';
import { toHtml } from './html-report.ts';
import { toMarkdown } from './summary.ts';
import { suite } from './provenance.ts';
import { keyVariables, reproduce } from './repro.ts';
import { toJUnit } from './junit.ts';
import { profiles } from './registry.ts';
import { ConnectionError, runChecks } from './runner.ts';
import { parseListen } from './webhook-receiver.ts';

/** The options of `bgr check` as parseArgs takes them (the table in cli-options.ts is their one source). */
export const checkOptions = parseArgsOptions;

/** A positive number option, or undefined (the run's default applies). */
function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  return n;
}

class UsageError extends Error {}

/** Where reproductions' request bodies go: --repro-dir, else beside the first report file asked for, else a fresh temporary folder. */
function reproDirOf(v: {
  'repro-dir'?: string;
  json?: string;
  html?: string;
  har?: string;
  junit?: string;
  attestation?: string;
}): string {
  if (v['repro-dir']) return v['repro-dir'];
  const report = v.json ?? v.html ?? v.har ?? v.junit ?? v.attestation;
  return report ? join(dirname(report), 'bgr-repro') : join(tmpdir(), `bgr-repro-${process.pid}-${Date.now()}`);
}

export async function checkCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: checkOptions });
  } catch (e) {
    err.write(`bgr check: ${(e as Error).message}\n${usage()}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    out.write(usage());
    return 0;
  }
  // `--only A B C`: IDs after the first one arrive as positionals.
  const only = [...(v.only ?? []), ...(v.only ? args.positionals : [])].flatMap((s) => s.split(',')).filter(Boolean);
  try {
    if (!v['base-url'] || !v['api-key']) throw new UsageError('--base-url and --api-key are required');
    if (!v.only && args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    if (!/^https?:\/\//.test(v['base-url']))
      throw new UsageError(`--base-url must be an http(s) URL, got '${v['base-url']}'`);
    const profile = (v.profile ?? DEFAULTS.profile) as Profile;
    const samples = number('samples', v.samples);
    const minCoverage = number('min-coverage', v['min-coverage']);
    const fuzz = number('fuzz', v.fuzz);
    if (v.seed !== undefined && !/^\d+$/.test(v.seed))
      throw new UsageError(`--seed must be a whole number, got '${v.seed}'`);
    if (minCoverage !== undefined && minCoverage > 100)
      throw new UsageError(`--min-coverage is a percentage, got '${v['min-coverage']}'`);
    if (!profiles.includes(profile)) throw new UsageError(`--profile must be one of ${profiles.join(', ')}`);
    const known = new Set<string>(extensions.map((e) => e.name));
    const required = (v['require-extension'] ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    const unknownExt = required.filter((n) => !known.has(n));
    if (unknownExt.length)
      throw new UsageError(`unknown extension(s): ${unknownExt.join(', ')} (one of ${[...known].join(', ')})`);
    if (v['webhook-listen']) {
      try {
        parseListen(v['webhook-listen']);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const live = (err as { isTTY?: boolean }).isTTY === true;
    const keys = keyVariables({
      apiKey: v['api-key'],
      secondApiKey: v['second-api-key'],
      scopedKey: v['scoped-key'],
      lowCreditKey: v['low-credit-key'],
    });
    const reproDir = reproDirOf(v);
    const evidence = new Map<string, ImageEvidence[]>();
    let lastWait = 0;
    const report = await runChecks({
      baseUrl: v['base-url'],
      apiKey: v['api-key'],
      secondApiKey: v['second-api-key'],
      profile,
      retentionS: number('retention-s', v['retention-s']),
      latencySloS: number('latency-slo-s', v['latency-slo-s']),
      samples: samples === undefined ? undefined : Math.round(samples),
      fuzzRuns: fuzz === undefined ? undefined : Math.round(fuzz),
      seed: v.seed === undefined ? undefined : Math.round(Number(v.seed)),
      only: only.length ? only : undefined,
      scopedKey: v['scoped-key'],
      lowCreditKey: v['low-credit-key'],
      webhookListen: v['webhook-listen'],
      webhookSecret: v['webhook-secret'],
      requireExtensions: required as ExtensionName[],
      onProgress(e) {
        if (v.quiet || e.type !== 'wait') return;
        // On a terminal, rewrite one status line; in CI logs, print a wait line at most every 5 s.
        const line = `… ${e.check}: ${e.what}${e.remainingS !== undefined ? ` (${e.remainingS} s left)` : ''}`;
        if (live) err.write(`\r\x1b[2K${line}`);
        else if (Date.now() - lastWait > 5000) {
          err.write(`${line}\n`);
          lastWait = Date.now();
        }
      },
      async onResult(r, exchanges) {
        if (live) err.write('\r\x1b[2K');
        out.write(`${formatResult(r)}\n`);
        if (v.html) evidence.set(r.id, await imageEvidence(exchanges, await loadFixtures()));
        if (r.outcome !== 'fail' || !exchanges.length) return;
        r.reproduce = await reproduce(exchanges, keys, reproDir);
        out.write(formatReproduction(r.reproduce));
      },
      async onExchanges(all) {
        if (v.har) await writeFile(v.har, `${JSON.stringify(toHar(all, keys, suite), null, 1)}\n`);
      },
    });
    out.write(formatSummary(report));
    out.write(`\n${formatCoverage(report.coverage)}\n`);
    const belowCoverage = minCoverage !== undefined && report.coverage.percent < minCoverage;
    if (belowCoverage)
      out.write(`NOT ENOUGH COVERAGE: ${report.coverage.percent} % observed, --min-coverage ${minCoverage} %\n`);
    if (v.junit) await writeFile(v.junit, toJUnit(report));
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (v.json) await writeFile(v.json, json);
    if (v.html) await writeFile(v.html, toHtml(report, evidence));
    if (v.summary) await writeFile(v.summary, toMarkdown(report));
    if (v.attestation) await writeFile(v.attestation, `${JSON.stringify(toAttestation(report, json), null, 2)}\n`);
    return report.ok && !belowCoverage ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && e.message.startsWith('unknown check id'))) {
      err.write(`bgr check: ${e.message}\n${usage()}`);
      return 2;
    }
    if (e instanceof ConnectionError) {
      err.write(`bgr check: cannot reach the deployment: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
