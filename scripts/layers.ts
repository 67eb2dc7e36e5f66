/** The layers of reference-impl/src and which may import which (the dependency rule of reference-impl/src/README.md). */

export const SRC = 'reference-impl/src/';

/** The shared kernel: the root files every layer but the engine may import. */
const KERNEL = ['errors.ts', 'ports.ts'];

/**
 * layer → the layers its product files may import (besides its own files). `kernel` is errors.ts and
 * ports.ts; `entry` is index.ts, the package's public entry.
 */
export const RULE: Record<string, string[]> = {
  engine: [],
  kernel: ['engine'],
  policy: ['engine', 'kernel'],
  input: ['engine', 'kernel'],
  removal: ['engine', 'kernel', 'policy'],
  adapters: ['engine', 'kernel', 'policy', 'removal'],
  metrics: ['engine', 'kernel', 'removal'],
  sandbox: ['engine', 'kernel', 'removal'],
  http: ['engine', 'kernel', 'policy', 'removal', 'metrics'],
  process: ['engine', 'kernel', 'policy', 'input', 'removal', 'adapters', 'metrics', 'http', 'sandbox'],
  entry: ['engine', 'process'],
};

/** The only imports across the rule, each a type the importer is handed (files relative to SRC). */
export const EXCEPTIONS: Array<{ from: string; to: string; why: string }> = [
  { from: 'http/', to: 'process/config.ts', why: 'the app is built from the server settings (the Config type)' },
  {
    from: 'http/rate-limit.ts',
    to: 'adapters/redis/connection.ts',
    why: 'shared counters take the Redis client (its type)',
  },
];

/** Test files and test helpers (which may reach every layer) are not held to the rule. */
export function isTestCode(file: string): boolean {
  return /\.test\.ts$|\.contract\.ts$|\.testing\.ts$|(^|\/)testing(\/|\.ts$)|\/fixtures\//.test(file);
}

/** The layer of a file under SRC: its top folder, `kernel`/`entry` for the root files; undefined when unmapped. */
export function layerOf(file: string): string | undefined {
  const rel = file.slice(SRC.length);
  const slash = rel.indexOf('/');
  if (slash < 0) return rel === 'index.ts' ? 'entry' : KERNEL.includes(rel) ? 'kernel' : undefined;
  const top = rel.slice(0, slash);
  return top in RULE ? top : undefined;
}

/** Every product file under SRC that no layer claims, and every import that breaks the rule, as readable lines. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    if (!file.startsWith(SRC) || isTestCode(file)) continue;
    const from = layerOf(file);
    const rel = file.slice(SRC.length);
    if (!from) {
      out.push(`${rel}: in no layer (add its folder to RULE in scripts/layers.ts and to reference-impl/src/README.md)`);
      continue;
    }
    for (const dep of deps) {
      if (!dep.startsWith(SRC)) continue;
      const to = layerOf(dep);
      const target = dep.slice(SRC.length);
      if (to === from || (to && RULE[from]!.includes(to))) continue;
      if (EXCEPTIONS.some((e) => rel.startsWith(e.from) && target === e.to)) continue;
      out.push(`${rel} (${from}) imports ${target} (${to ?? 'no layer'})`);
    }
  }
  return out.sort();
}
