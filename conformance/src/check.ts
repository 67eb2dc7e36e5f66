/** What a check is: a stable ID, an RFC 2119 level, the clause it tests, its layer, its profiles, its sentence and its run. */
import type { ClauseId } from '../../generated/clauses.ts';
import type { ExtensionName } from '../../generated/extensions.ts';
import type { CheckContext } from './context.ts';

export type Level = 'MUST' | 'SHOULD' | 'MAY';
/** `mock`: what a stateless mock can satisfy; `core`: no waiting; `full`: optional features too; `slow`: real retention waits. */
export type Profile = 'mock' | 'core' | 'full' | 'slow';

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

export const ALL: readonly Profile[] = ['mock', 'core', 'full', 'slow'];
export const CORE: readonly Profile[] = ['core', 'full', 'slow'];
export const FULL: readonly Profile[] = ['full', 'slow'];
