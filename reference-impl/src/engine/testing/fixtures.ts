/** Locates the optional shared photo fixtures (`../shared/fixtures` beside the repository). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../model.ts';

/**
 * `BGR_FIXTURES_DIR`, else `<repo>/../shared/fixtures`, else one level further up (git worktrees live one
 * folder deeper than the main checkout). Undefined when absent: tests and benches then skip.
 */
export function sharedFixturesDir(): string | undefined {
  const candidates = [
    process.env.BGR_FIXTURES_DIR,
    path.resolve(PACKAGE_ROOT, '..', 'shared', 'fixtures'),
    path.resolve(PACKAGE_ROOT, '..', '..', 'shared', 'fixtures'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(path.join(c, 'photos')));
}
