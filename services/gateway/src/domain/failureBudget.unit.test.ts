import { describe, expect, it } from '@jest/globals';

import { FailureBudget } from './failureBudget.ts';

describe('failure budget', () => {
  it('allows the limit, refuses the next failure until enough have aged out of the window', () => {
    const budget = new FailureBudget({ limit: 3, windowMs: 60_000 });
    expect([0, 1_000, 2_000].map((at) => budget.fail('key_a', at))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // The fourth, at 3 s: free again when the first (at 0) leaves the window, at 60 s.
    expect(budget.fail('key_a', 3_000)).toBe(57);
    expect(budget.waitFor('key_a', 30_000)).toBe(30);
    expect(budget.waitFor('key_a', 60_000)).toBeUndefined();
    // Another key has its own budget.
    expect(budget.waitFor('key_b', 3_000)).toBeUndefined();
  });

  it('keeps refusing a client that keeps failing', () => {
    const budget = new FailureBudget({ limit: 2, windowMs: 10_000 });
    let wait: number | undefined;
    for (let at = 0; at < 30_000; at += 1_000) wait = budget.fail('source', at);
    // At 29 s the window holds 20…29 s; two may stay, so 27 s must age out, at 37 s.
    expect(wait).toBe(8);
  });

  it('forgets the oldest keys beyond its bound', () => {
    const budget = new FailureBudget({ limit: 1, windowMs: 60_000, maxTracked: 2 });
    budget.fail('first', 0);
    budget.fail('first', 1);
    expect(budget.waitFor('first', 2)).toBeDefined();
    budget.fail('second', 2);
    budget.fail('third', 3);
    expect(budget.waitFor('first', 4)).toBeUndefined();
  });
});
