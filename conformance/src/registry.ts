/** Every check of the suite, in run order (contract checks last: they judge every response seen before them). */
import type { Check, Profile } from './check.ts';
import { authChecks } from './checks/auth.ts';
import { bodyChecks } from './checks/bodies.ts';
import { contractChecks } from './checks/contract.ts';
import { expiryChecks } from './checks/expiry.ts';
import { failedChecks } from './checks/failed.ts';
import { fuzzChecks } from './checks/fuzz.ts';
import { latencyChecks } from './checks/latency.ts';
import { multipartChecks } from './checks/multipart.ts';
import { optionalChecks } from './checks/optional.ts';
import { optionChecks } from './checks/options.ts';
import { streamChecks } from './checks/stream.ts';
import { v1Checks } from './checks/v1.ts';
import { v2Checks } from './checks/v2.ts';
import { validationChecks } from './checks/validation.ts';
import { webhookChecks } from './checks/webhook.ts';

export type { Check, Level, Profile } from './check.ts';

export const registry: readonly Check[] = [
  ...authChecks,
  ...validationChecks,
  ...v1Checks,
  ...v2Checks,
  ...optionChecks,
  ...multipartChecks,
  ...bodyChecks,
  ...streamChecks,
  ...failedChecks,
  ...expiryChecks,
  ...optionalChecks,
  ...webhookChecks,
  ...latencyChecks,
  ...fuzzChecks,
  ...contractChecks,
];

export const profiles: readonly Profile[] = ['mock', 'core', 'full', 'slow', 'fuzz'];

/** The checks a run executes: the profile's (with the fuzz checks too when `fuzz`), narrowed to `only` when given (unknown IDs are an error). */
export function selectChecks(profile: Profile, only?: readonly string[], fuzz = false): Check[] {
  if (only && only.length > 0) {
    const unknown = only.filter((id) => !registry.some((c) => c.id === id));
    if (unknown.length) throw new Error(`unknown check id(s): ${unknown.join(', ')}`);
    return registry.filter((c) => only.includes(c.id));
  }
  return registry.filter((c) => c.profiles.includes(profile) || (fuzz && c.profiles.includes('fuzz')));
}

/** Clauses (or parts) the suite cannot check from outside, and why; the docs list them so nobody assumes coverage. */
export const notChecked: Record<string, string> = {};

/** Checks that need an input the user may not give, and the option that enables each (skipped with the reason without it). */
export const needsInput: Record<string, string> = {
  'AUTH-ISOLATION-404': '--second-api-key',
  'AUTH-SCOPE-403': '--scoped-key',
  'CREDITS-406': '--low-credit-key',
  'WEBHOOK-SIGNED': '--webhook-listen and --webhook-secret',
};
