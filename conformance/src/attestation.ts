/** The run as an in-toto Statement v1 with the Test Result predicate (https://in-toto.io/attestation/test-result/v0.1), for a CI to sign. */
import type { Report } from './report.ts';
import { sha256 } from './provenance.ts';

export const predicateType = 'https://in-toto.io/attestation/test-result/v0.1';

/**
 * PASSED: every check passed (or was skipped); WARNED: only SHOULD/MAY checks (or checks of an extension
 * not offered) did not pass and the run is conformant; FAILED: the run is not conformant. A test's name is
 * `<layer>/<check id>`; the report itself (its sha256) is the first configuration entry.
 */
export function toAttestation(report: Report, reportJson: string): Record<string, unknown> {
  const name = (r: Report['results'][number]) => `${r.layer}/${r.id}`;
  const failedMust = report.results.filter((r) => r.outcome === 'fail' && r.level === 'MUST');
  const failed = report.ok ? [] : failedMust;
  const warned = report.results.filter((r) => r.outcome === 'fail' && !failed.includes(r));
  const result = !report.ok ? 'FAILED' : warned.length ? 'WARNED' : 'PASSED';
  const p = report.provenance;
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: report.baseUrl,
        digest: { sha256: sha256(report.baseUrl) },
        annotations: { kind: 'deployment base URL (the digest is of the URL string)' },
      },
    ],
    predicateType,
    predicate: {
      result,
      configuration: [
        { name: 'bgr-check-report.json', digest: { sha256: sha256(reportJson) }, mediaType: 'application/json' },
        { name: p.contract.path, digest: { sha256: p.contract.sha256 }, mediaType: 'application/yaml' },
        {
          name: `${p.suite.name}@${p.suite.version}`,
          annotations: {
            profile: report.profile,
            core: report.core,
            capabilities: Object.fromEntries(report.capabilities.map((c) => [c.extension, c.verdict])),
            options: p.options,
          },
        },
        ...p.fixtures.map((f) => ({ name: `fixtures/${f.name}`, digest: { sha256: f.sha256 } })),
      ],
      passedTests: report.results.filter((r) => r.outcome === 'pass').map(name),
      warnedTests: warned.map(name),
      failedTests: [
        ...failed.map(name),
        ...report.capabilities
          .filter((c) => c.required && !c.verdict.startsWith('offered'))
          .map((c) => `required-extension/${c.extension}`),
      ],
    },
  };
}
