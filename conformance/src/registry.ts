/** Every check of the suite, in run order (contract checks last: they judge every response seen before them). */
import type { Check, Profile } from './check.ts';
import { authChecks } from './checks/auth.ts';
import { contractChecks } from './checks/contract.ts';
import { expiryChecks } from './checks/expiry.ts';
import { failedChecks } from './checks/failed.ts';
import { latencyChecks } from './checks/latency.ts';
import { optionalChecks } from './checks/optional.ts';
import { v1Checks } from './checks/v1.ts';
import { v2Checks } from './checks/v2.ts';
import { validationChecks } from './checks/validation.ts';

export type { Check, Level, Profile } from './check.ts';

export const registry: readonly Check[] = [
  ...authChecks,
  ...validationChecks,
  ...v1Checks,
  ...v2Checks,
  ...failedChecks,
  ...expiryChecks,
  ...optionalChecks,
  ...latencyChecks,
  ...contractChecks,
];

export const profiles: readonly Profile[] = ['mock', 'core', 'full', 'slow'];

/** The checks a run executes: the profile's, narrowed to `only` when given (unknown IDs are an error). */
export function selectChecks(profile: Profile, only?: readonly string[]): Check[] {
  if (only && only.length > 0) {
    const unknown = only.filter((id) => !registry.some((c) => c.id === id));
    if (unknown.length) throw new Error(`unknown check id(s): ${unknown.join(', ')}`);
    return registry.filter((c) => only.includes(c.id));
  }
  return registry.filter((c) => c.profiles.includes(profile));
}

/** Clauses (or parts) the suite cannot check from outside, and why; the docs list them so nobody assumes coverage. */
export const notChecked: Record<string, string> = {
  'AUTH-SCOPE': 'needs a key that lacks a scope; `bgr check` takes only full-scope keys.',
  'WEBHOOK-SIGNED': 'needs a receiver the deployment can reach; the suite never asks a deployment to reach the checker.',
  'CREDITS (406)': 'needs a key with an exhausted balance; only "never charged for FAILED" and "replays not charged" are checked.',
};
