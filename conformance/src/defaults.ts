/** The defaults of a run, in one place: the CLI's help text and `runChecks` both read them. */
import type { Profile } from './profile.ts';

export const DEFAULTS = {
  profile: 'core' as Profile,
  /** The retention the production service declares: one hour. */
  retentionS: 3600,
  /** The production service's p95 promise. */
  latencySloS: 1.67,
  samples: 5,
  requestTimeoutS: 120,
  pollIntervalMs: 20,
  burst: 300,
  shortRetentionS: 30,
  /** Generated cases per fuzz property (the `fuzz` profile, or `--fuzz` without a number's worth of patience). */
  fuzzRuns: 100,
} as const;
