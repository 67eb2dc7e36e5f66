/** The in-memory KeyStore: holds reserve credits, settle charges or releases exactly once per request id. */
import { describe, expect, it } from 'vitest';
import { keyIdOf, MemoryKeyStore } from './keys.ts';
import type { KeyRecord } from '../ports.ts';
import { withdrawContract } from '../../testing/withdraw.contract.ts';

const rec = (key: string, credits: number | null): KeyRecord => ({
  key,
  name: key,
  credits,
  scopes: ['v1', 'v2'],
  rateLimit: { max: 50, windowS: 60 },
});

describe('MemoryKeyStore', () => {
  it('holds count against the balance; settle charges once', async () => {
    const s = new MemoryKeyStore([rec('k', 2)]);
    expect(await s.hold(keyIdOf('k'), 'a')).toBe(true);
    expect(await s.hold(keyIdOf('k'), 'a')).toBe(true); // idempotent: no second reservation
    expect(await s.hold(keyIdOf('k'), 'b')).toBe(true);
    expect(await s.hold(keyIdOf('k'), 'c')).toBe(false); // 2 credits, 2 holds
    expect(await s.settle(keyIdOf('k'), 'a', true)).toBe(1);
    expect(await s.settle(keyIdOf('k'), 'a', true)).toBe(1); // idempotent: not charged twice
    expect(await s.settle(keyIdOf('k'), 'b', false)).toBe(1); // released
    expect(await s.hold(keyIdOf('k'), 'c')).toBe(true);
    expect(await s.settle(keyIdOf('k'), 'c', true)).toBe(0);
    expect(await s.hold(keyIdOf('k'), 'd')).toBe(false);
    expect(await s.balance(keyIdOf('k'))).toBe(0);
  });

  it('a settled id stays settled (a replayed hold is a no-op)', async () => {
    const s = new MemoryKeyStore([rec('k', 1)]);
    await s.hold(keyIdOf('k'), 'a');
    await s.settle(keyIdOf('k'), 'a', true);
    expect(await s.hold(keyIdOf('k'), 'a')).toBe(true);
    expect(await s.settle(keyIdOf('k'), 'a', true)).toBe(0);
  });

  it('forgets settled ids after rememberMs (bounded memory)', async () => {
    let now = 0;
    const s = new MemoryKeyStore([rec('k', 5)], { clock: { now: () => now }, rememberMs: 1000 });
    await s.settle(keyIdOf('k'), 'a', true);
    now = 5000;
    await s.settle(keyIdOf('k'), 'b', false); // prunes 'a'
    expect(
      (s as unknown as { accounts: Map<string, { settled: Map<string, number> }> }).accounts
        .get(keyIdOf('k'))!
        .settled.has('a'),
    ).toBe(false);
  });

  it('unlimited keys always hold and report null', async () => {
    const s = new MemoryKeyStore([rec('u', null)]);
    expect(await s.hold(keyIdOf('u'), 'a')).toBe(true);
    expect(await s.settle(keyIdOf('u'), 'a', true)).toBeNull();
    expect(await s.balance(keyIdOf('u'))).toBeNull();
  });

  it('unknown keys hold nothing; find returns a copy', async () => {
    const s = new MemoryKeyStore([rec('k', 1)]);
    expect(await s.hold(keyIdOf('x'), 'a')).toBe(false);
    expect(await s.find(keyIdOf('x'))).toBeUndefined();
    const r = await s.find(keyIdOf('k'));
    r!.scopes.push('v1');
    expect((await s.find(keyIdOf('k')))!.scopes).toEqual(['v1', 'v2']);
  });
});

withdrawContract('MemoryKeyStore', async (name, credits) => ({
  store: new MemoryKeyStore([rec(name, credits)]),
  id: keyIdOf(name),
}));
