import { describe, expect, it } from 'vitest';
import { docsAreFresh, renderDocs } from './gen-docs.ts';
import { registry } from './registry.ts';

describe('docs/conformance.md', () => {
  it('is what the registry generates now (run `npm run docs:conformance` when this fails)', async () => {
    expect(await docsAreFresh()).toBe(true);
  });

  it('lists every check and the kill table', () => {
    const doc = renderDocs();
    for (const c of registry) expect(doc).toContain(`| \`${c.id}\` | ${c.level} |`);
    expect(doc).toContain('## Which faults kill each MUST check');
    expect(doc).not.toContain('**none**');
  });
});
