import { describe, expect, it } from 'vitest';
import { clauses } from '@bgr/spec/clauses';
import { extensions } from '@bgr/spec/extensions';
import { faults } from '../testing/faults.ts';
import { notChecked, registry, selectChecks } from './registry.ts';

const clauseIds = new Set<string>(clauses.map((c) => c.id));

describe('the check registry', () => {
  it('has unique, stable-looking IDs', () => {
    const ids = registry.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$/);
  });

  it('cites only clauses that exist in generated/clauses.ts', () => {
    expect(registry.filter((c) => !clauseIds.has(c.clause)).map((c) => `${c.id} → ${c.clause}`)).toEqual([]);
  });

  it('states each check as an RFC 2119 sentence with its own level keyword', () => {
    for (const c of registry) expect(c.sentence, c.id).toContain(c.level);
  });

  it('puts every check in at least one profile, and mock checks in every profile', () => {
    for (const c of registry) {
      expect(c.profiles.length, c.id).toBeGreaterThan(0);
      if (c.profiles.includes('mock')) expect(c.profiles, c.id).toEqual(['mock', 'core', 'full', 'slow', 'fuzz']);
    }
  });

  it("puts each check in its clause's layer (core, or the clause's extension)", () => {
    const layer = new Map<string, string>(clauses.map((c) => [c.id, 'extension' in c ? c.extension : 'core']));
    expect(
      registry
        .filter((c) => (c.extension ?? 'core') !== layer.get(c.clause))
        .map((c) => `${c.id}: ${c.extension ?? 'core'} vs ${c.clause} ${layer.get(c.clause)}`),
    ).toEqual([]);
  });

  it('checks every extension the suite can detect', () => {
    const checked = new Set(registry.map((c) => c.extension));
    expect(extensions.map((e) => e.name).filter((n) => !checked.has(n))).toEqual([]);
  });

  it('checks every clause, or says why it cannot', () => {
    const covered = new Set<string>(registry.map((c) => c.clause));
    const excused = new Set(Object.keys(notChecked).map((k) => k.split(' ')[0]));
    expect([...clauseIds].filter((id) => !covered.has(id) && !excused.has(id))).toEqual([]);
  });

  it('selects by profile, and --only overrides the profile', () => {
    expect(selectChecks('mock').every((c) => c.profiles.includes('mock'))).toBe(true);
    expect(selectChecks('core').length).toBeGreaterThan(selectChecks('mock').length);
    expect(selectChecks('mock', ['V2-STATE-ORDER']).map((c) => c.id)).toEqual(['V2-STATE-ORDER']);
    expect(() => selectChecks('core', ['NO-SUCH-CHECK'])).toThrow(/unknown check id/);
  });

  it('runs the contract and error-code checks last, so they judge every response seen before them', () => {
    const judges = (id: string) => id.startsWith('CONTRACT-') || id === 'ERROR-CODES';
    const first = registry.findIndex((c) => judges(c.id));
    expect(registry.slice(first).every((c) => judges(c.id))).toBe(true);
  });
});

describe('the fault table', () => {
  it('names only registered checks', () => {
    const ids = new Set(registry.map((c) => c.id));
    const named = Object.values(faults).flatMap((f) => [...f.kills, ...(f.also ?? [])]);
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });

  const killed = new Set(Object.values(faults).flatMap((f) => f.kills));
  const layers = ['core', ...extensions.map((e) => e.name).filter((n) => registry.some((c) => c.extension === n))];
  it.each(layers)('kills every MUST check of %s with at least one fault (and some check of it)', (layer) => {
    const own = registry.filter((c) => (c.extension ?? 'core') === layer);
    expect(own.some((c) => killed.has(c.id))).toBe(true);
    expect(own.filter((c) => c.level === 'MUST' && !killed.has(c.id)).map((c) => c.id)).toEqual([]);
  });
});
