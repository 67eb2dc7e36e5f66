/** The result of a run: per-check outcomes, timings and counts; `ok` is false when any MUST check failed. */
import type { Level, Profile } from './check.ts';

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  level: Level;
  clause: string;
  sentence: string;
  outcome: Outcome;
  /** Why it failed or was skipped (naming the offending exchange), or a note on a pass. */
  reason: string;
  durationMs: number;
  /** Summaries of the exchanges the check sent (failures only, at most 20). */
  exchanges: string[];
}

export interface Report {
  baseUrl: string;
  profile: Profile;
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
  summary: { pass: number; fail: number; skip: number; mustFailed: number; shouldFailed: number };
  /** Every MUST check passed (or was skipped). */
  ok: boolean;
}

export function summarize(results: CheckResult[]): Report['summary'] {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const failedAt = (l: Level) => results.filter((r) => r.outcome === 'fail' && r.level === l).length;
  return { pass: count('pass'), fail: count('fail'), skip: count('skip'), mustFailed: failedAt('MUST'), shouldFailed: failedAt('SHOULD') };
}
