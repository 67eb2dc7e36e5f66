/** What a check is: a stable ID, an RFC 2119 level, the clause it tests, its profiles, its sentence and its run. */
import type { ClauseId } from '@bgr/spec/clauses';
/** What a check is: a stable ID, an RFC 2119 level, the clause it tests, its layer, its profiles, its sentence and its run. */
import type { ExtensionName } from '@bgr/spec/extensions';
import type { CheckContext } from './context.ts';
import type { Profile } from './profile.ts';

export type Level = 'MUST' | 'SHOULD' | 'MAY';
// In its own module: context.ts needs it too, and check.ts imports context.ts (no import circle).
export type { Profile } from './profile.ts';

export interface Check {
  id: string;
  level: Level;
  clause: ClauseId;
  /** The extension the check belongs to (it runs only where that extension is offered); absent: the core. */
  extension?: ExtensionName;
  profiles: readonly Profile[];
  /** The RFC 2119 sentence the check enforces; it contains its level keyword. */
  sentence: string;
  /** Throws CheckFailure or CheckSkip; may return a note (e.g. measured figures) for a pass. */
  run(ctx: CheckContext): Promise<string | void>;
}

export const ALL: readonly Profile[] = ['mock', 'core', 'full', 'slow', 'fuzz'];
export const CORE: readonly Profile[] = ['core', 'full', 'slow', 'fuzz'];
export const FULL: readonly Profile[] = ['full', 'slow', 'fuzz'];
/** Properties on generated inputs: the `fuzz` profile, or any profile with `--fuzz N`. */
export const FUZZ: readonly Profile[] = ['fuzz'];
