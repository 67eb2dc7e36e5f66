/** The result of a run: per-check outcomes with their evidence, the verdict per layer (core and each extension), and what reproduces it. */
import { extensions, type ExtensionName } from '@bgr/spec/extensions';
import type { Level, Profile } from './check.ts';
import type { Detection, LatencyDetails } from './context.ts';
import type { Coverage } from './coverage.ts';
import type { Reproduction } from './repro.ts';

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  level: Level;
  clause: string;
  /** `core`, or the extension the check belongs to. */
  layer: 'core' | ExtensionName;
  sentence: string;
  outcome: Outcome;
  /** Why it failed or was skipped (naming the offending exchange), or a note on a pass. */
  reason: string;
  /** Skipped because its extension is not offered (never a failure). */
  notOffered?: boolean;
  startedAt: string;
  durationMs: number;
  /** Summaries of the exchanges the check sent, in order (at most 50), so a reader can see what showed what. */
  exchanges: string[];
  /** The `seq` of the exchange a failure cites (it may belong to a shared flow an earlier check ran). */
  cited?: number;
  /** Latency checks: every sample, split, and the percentiles against the SLO. */
  latency?: LatencyDetails;
  /** For a failed check: a runnable `curl` per exchange that led to it (the CLI adds them). */
  reproduce?: Reproduction[];
}

export type CapabilityVerdict = 'offered, conformant' | 'offered, NOT conformant' | 'not offered' | 'not checked';

/** One row of the capability table. */
export interface Capability {
  extension: ExtensionName;
  verdict: CapabilityVerdict;
  /** Required with --require-extension: "not offered" (or "not checked") then fails the run. */
  required: boolean;
  /** How the suite decided (the exchange that showed it), or why it could not. */
  evidence: string;
  checks: { id: string; level: Level; outcome: Outcome }[];
}

export interface Provenance {
  suite: { name: string; version: string };
  contract: { path: string; sha256: string };
  fixtures: { name: string; sha256: string }[];
  /** The options of the run, keys redacted (only whether each was given). */
  options: Record<string, unknown>;
}

export interface Report {
  baseUrl: string;
  profile: Profile;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  provenance: Provenance;
  results: CheckResult[];
  summary: { pass: number; fail: number; skip: number; mustFailed: number; shouldFailed: number; notOffered: number };
  /** Which of the contract's operation × status cells the run observed. */
  coverage: Coverage;
  core: 'CONFORMANT' | 'NOT CONFORMANT';
  capabilities: Capability[];
  /** Core conformant, every offered extension conformant, every required extension offered. */
  ok: boolean;
}

export function summarize(results: CheckResult[]): Report['summary'] {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const failedAt = (l: Level) => results.filter((r) => r.outcome === 'fail' && r.level === l).length;
  return {
    pass: count('pass'),
    fail: count('fail'),
    skip: count('skip'),
    mustFailed: failedAt('MUST'),
    shouldFailed: failedAt('SHOULD'),
    notOffered: results.filter((r) => r.notOffered).length,
  };
}

const mustFailed = (rs: CheckResult[]) => rs.some((r) => r.level === 'MUST' && r.outcome === 'fail');

/** The verdict per layer: core from its checks; each extension from its detection and its checks. */
export function verdicts(
  results: CheckResult[],
  detections: Map<ExtensionName, Detection>,
  required: readonly ExtensionName[],
): Pick<Report, 'core' | 'capabilities' | 'ok'> {
  const core = mustFailed(results.filter((r) => r.layer === 'core')) ? 'NOT CONFORMANT' : 'CONFORMANT';
  const capabilities = extensions.map(({ name }): Capability => {
    const own = results.filter((r) => r.layer === name);
    const d = detections.get(name);
    const verdict: CapabilityVerdict =
      d?.offered === true
        ? mustFailed(own)
          ? 'offered, NOT conformant'
          : 'offered, conformant'
        : d?.offered === false
          ? 'not offered'
          : 'not checked';
    const evidence = d?.evidence ?? (own.length ? 'not detected' : 'no check of it ran');
    return {
      extension: name,
      verdict,
      required: required.includes(name),
      evidence,
      checks: own.map((r) => ({ id: r.id, level: r.level, outcome: r.outcome })),
    };
  });
  const ok =
    core === 'CONFORMANT' &&
    capabilities.every(
      (c) => c.verdict !== 'offered, NOT conformant' && (!c.required || c.verdict.startsWith('offered')),
    );
  return { core, capabilities, ok };
}
