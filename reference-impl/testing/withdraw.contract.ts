/** The KeyStore `withdraw` contract (ports.ts) as reusable vitest cases, run against every KeyStore. */
import { describe, expect, it } from 'vitest';
import type { KeyStore } from '../src/ports.ts';

/** A fresh store holding one key `name` with `credits`; `id` is the key's id in that store. */
export type KeyStoreMaker = (name: string, credits: number | null) => Promise<{ store: KeyStore; id: string }>;

type Step = ['hold' | 'settle' | 'release' | 'withdraw', string];
/** Each case: steps on one key, then the balance expected and whether one more request can still be held. */
const CASES: { name: string; credits: number | null; steps: Step[]; balance: number | null; freeAfter: boolean }[] = [
  {
    name: 'charged by its run, then withdrawn: the credit comes back, once',
    credits: 2,
    steps: [
      ['hold', 'r'],
      ['settle', 'r'],
      ['withdraw', 'r'],
      ['withdraw', 'r'],
      ['settle', 'r'],
    ],
    balance: 2,
    freeAfter: true,
  },
  {
    name: 'withdrawn while held: released, and its later run charges nothing',
    credits: 1,
    steps: [
      ['hold', 'r'],
      ['withdraw', 'r'],
      ['settle', 'r'],
    ],
    balance: 1,
    freeAfter: true,
  },
  {
    name: 'withdrawn before its hold lands (a late or re-sent command): the hold takes nothing',
    credits: 1,
    steps: [
      ['withdraw', 'r'],
      ['hold', 'r'],
      ['settle', 'r'],
    ],
    balance: 1,
    freeAfter: true,
  },
  {
    name: 'released, then withdrawn: nothing to give back',
    credits: 1,
    steps: [
      ['hold', 'r'],
      ['release', 'r'],
      ['withdraw', 'r'],
    ],
    balance: 1,
    freeAfter: true,
  },
  {
    name: 'another request of the key is not touched',
    credits: 2,
    steps: [
      ['hold', 'a'],
      ['settle', 'a'],
      ['hold', 'r'],
      ['withdraw', 'r'],
    ],
    balance: 1,
    freeAfter: true,
  },
  {
    name: 'an unlimited key stays unlimited',
    credits: null,
    steps: [
      ['hold', 'r'],
      ['settle', 'r'],
      ['withdraw', 'r'],
    ],
    balance: null,
    freeAfter: true,
  },
];

export function withdrawContract(label: string, make: KeyStoreMaker): void {
  describe(`${label}: withdraw (a refused request costs nothing)`, () => {
    it.each(CASES)('$name', async ({ name, credits, steps, balance, freeAfter }) => {
      const { store, id } = await make(`wd-${name.replace(/\W+/g, '-')}`, credits);
      for (const [op, req] of steps) {
        if (op === 'hold') expect(await store.hold(id, req)).toBe(true);
        else if (op === 'withdraw') await store.withdraw(id, req);
        else await store.settle(id, req, op === 'settle');
      }
      expect(await store.balance(id)).toBe(balance);
      expect(await store.hold(id, 'next')).toBe(freeAfter);
    });
  });
}
