/** `bgr check`: runs the suite against a deployment; exit 0 when the core and every offered (and required) extension pass every MUST, 1 otherwise, 2 for usage or connection errors. */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { extensions, type ExtensionName } from '@bgr/spec/extensions';
import { toAttestation } from './attestation.ts';
import type { Profile } from './check.ts';
import { formatResult, formatSummary } from './format.ts';
import { toJUnit } from './junit.ts';
import { profiles } from './registry.ts';
import { ConnectionError, runChecks } from './runner.ts';
import { parseListen } from './webhook-receiver.ts';

const usage = `usage: bgr check --base-url URL --api-key KEY [--second-api-key KEY]
                 [--profile mock|core|full|slow] [--retention-s 3600] [--latency-slo-s 1.67]
                 [--samples N] [--only ID…] [--require-extension NAME,…]
                 [--scoped-key KEY] [--low-credit-key KEY]
                 [--webhook-listen HOST:PORT --webhook-secret whsec_…]
                 [--junit FILE] [--json FILE] [--attestation FILE] [--quiet]
extensions: ${extensions.map((e) => e.name).join(', ')}
`;

/** The options of `bgr check` (declarative, for node:util parseArgs). */
export const checkOptions = {
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  'second-api-key': { type: 'string' },
  'scoped-key': { type: 'string' },
  'low-credit-key': { type: 'string' },
  'webhook-listen': { type: 'string' },
  'webhook-secret': { type: 'string' },
  profile: { type: 'string', default: 'core' },
  'retention-s': { type: 'string' },
  'latency-slo-s': { type: 'string' },
  samples: { type: 'string' },
  only: { type: 'string', multiple: true },
  'require-extension': { type: 'string', multiple: true },
  junit: { type: 'string' },
  json: { type: 'string' },
  attestation: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  return n;
}

class UsageError extends Error {}

export async function checkCommand(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: checkOptions });
  } catch (e) {
    err.write(`bgr check: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    out.write(usage);
    return 0;
  }
  // `--only A B C`: IDs after the first one arrive as positionals.
  const only = [...(v.only ?? []), ...(v.only ? args.positionals : [])].flatMap((s) => s.split(',')).filter(Boolean);
  try {
    if (!v['base-url'] || !v['api-key']) throw new UsageError('--base-url and --api-key are required');
    if (!v.only && args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    if (!/^https?:\/\//.test(v['base-url'])) throw new UsageError(`--base-url must be an http(s) URL, got '${v['base-url']}'`);
    if (!profiles.includes(v.profile as Profile)) throw new UsageError(`--profile must be one of ${profiles.join(', ')}`);
    const known = new Set<string>(extensions.map((e) => e.name));
    const required = (v['require-extension'] ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const unknownExt = required.filter((n) => !known.has(n));
    if (unknownExt.length) throw new UsageError(`unknown extension(s): ${unknownExt.join(', ')} (one of ${[...known].join(', ')})`);
    if (v['webhook-listen']) {
      try {
        parseListen(v['webhook-listen']);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const live = (err as { isTTY?: boolean }).isTTY === true;
    let lastWait = 0;
    const report = await runChecks({
      baseUrl: v['base-url'],
      apiKey: v['api-key'],
      secondApiKey: v['second-api-key'],
      profile: v.profile as Profile,
      retentionS: number('retention-s', v['retention-s'], 3600),
      latencySloS: number('latency-slo-s', v['latency-slo-s'], 1.67),
      samples: Math.round(number('samples', v.samples, 5)),
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
      onResult(r) {
        if (live) err.write('\r\x1b[2K');
        out.write(`${formatResult(r)}\n`);
      },
    });
    out.write(formatSummary(report));
    if (v.junit) await writeFile(v.junit, toJUnit(report));
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (v.json) await writeFile(v.json, json);
    if (v.attestation) await writeFile(v.attestation, `${JSON.stringify(toAttestation(report, json), null, 2)}\n`);
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && e.message.startsWith('unknown check id'))) {
      err.write(`bgr check: ${e.message}\n${usage}`);
      return 2;
    }
    if (e instanceof ConnectionError) {
      err.write(`bgr check: cannot reach the deployment: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
