/**
 * `bgr verify ATTESTATION`: checks that an attestation written by `bgr check --attestation` is well formed, names
 * this suite's version and the contract it checks (by sha256), did not fail, and covers every MUST check of the
 * core and of each extension it claims as offered (each one passed or, for a non-conformant claim, was run).
 * Exit 0 when all hold, 1 otherwise (each problem printed), 2 for usage.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { specPath } from '@bgr/spec/contract';
import { predicateType } from './attestation.ts';
import { sha256, suite } from './provenance.ts';
import { registry } from './registry.ts';

interface Statement {
  _type?: unknown;
  predicateType?: unknown;
  predicate?: {
    result?: unknown;
    configuration?: {
      name?: unknown;
      digest?: { sha256?: unknown };
      annotations?: { capabilities?: Record<string, unknown> };
    }[];
    passedTests?: unknown;
    warnedTests?: unknown;
    failedTests?: unknown;
  };
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The problems of an attestation (empty: it verifies), and the MUST checks it had to cover. */
export function verifyAttestation(doc: unknown): { problems: string[]; required: string[] } {
  const s = (doc ?? {}) as Statement;
  const problems: string[] = [];
  if (s._type !== 'https://in-toto.io/Statement/v1')
    problems.push(`_type is ${JSON.stringify(s._type)}, not an in-toto Statement v1`);
  if (s.predicateType !== predicateType)
    problems.push(`predicateType is ${JSON.stringify(s.predicateType)}, not ${predicateType}`);
  const p = s.predicate;
  if (!p || typeof p !== 'object') return { problems: [...problems, 'no predicate'], required: [] };
  if (!['PASSED', 'WARNED', 'FAILED'].includes(p.result as string))
    problems.push(`predicate.result is ${JSON.stringify(p.result)}`);
  for (const k of ['passedTests', 'warnedTests', 'failedTests'] as const)
    if (!strings(p[k])) problems.push(`predicate.${k} is not a list of test names`);
  const config = Array.isArray(p.configuration) ? p.configuration : [];
  if (!Array.isArray(p.configuration)) problems.push('predicate.configuration is not a list');
  const me = `${suite.name}@${suite.version}`;
  const suiteEntry = config.find((c) => typeof c?.name === 'string' && c.name.startsWith(`${suite.name}@`));
  if (!suiteEntry) problems.push(`names no ${suite.name} version`);
  else if (suiteEntry.name !== me) problems.push(`made by ${String(suiteEntry.name)}, this is ${me}`);
  const contract = config.find((c) => c?.name === 'openapi.yaml');
  const digest = sha256(readFileSync(specPath));
  if (contract?.digest?.sha256 !== digest)
    problems.push(`contract sha256 ${String(contract?.digest?.sha256 ?? '(none)')} is not this contract's ${digest}`);
  if (p.result === 'FAILED') problems.push(`the run FAILED: ${strings(p.failedTests) ? p.failedTests.join(', ') : ''}`);
  // The layers it claims: the core, and every extension the run found offered.
  const claimed = Object.entries(suiteEntry?.annotations?.capabilities ?? {})
    .filter(([, v]) => typeof v === 'string' && v.startsWith('offered'))
    .map(([k]) => k);
  const required = registry
    .filter((c) => c.level === 'MUST' && (!c.extension || claimed.includes(c.extension)))
    .map((c) => `${c.extension ?? 'core'}/${c.id}`);
  const passed = new Set(strings(p.passedTests) ? p.passedTests : []);
  const missing = required.filter((name) => !passed.has(name));
  if (missing.length)
    problems.push(`${missing.length} MUST check(s) of the claimed layers did not pass: ${missing.join(', ')}`);
  return { problems, required };
}

export async function verifyCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) {
    (argv[0] === '--help' || argv[0] === '-h' ? out : err).write(
      'usage: bgr verify ATTESTATION   (a file written by bgr check --attestation)\n',
    );
    return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(argv[0]!, 'utf8'));
  } catch (e) {
    err.write(`bgr verify: cannot read ${argv[0]} as JSON: ${(e as Error).message}\n`);
    return 1;
  }
  const { problems, required } = verifyAttestation(doc);
  if (problems.length) {
    out.write(`NOT VERIFIED: ${argv[0]}\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    return 1;
  }
  out.write(
    `VERIFIED: ${argv[0]} covers all ${required.length} MUST checks of its layers, made by ${suite.name}@${suite.version} against this contract\n`,
  );
  return 0;
}
