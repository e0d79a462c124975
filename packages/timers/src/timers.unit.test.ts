import { describe, expect, it } from '@jest/globals';

import { isUuid } from '@aman/eventstore';
import { expectAmanError } from '@aman/testing';

import { failureReason } from './runner.ts';
import { firingEventId, prepareTimer } from './timers.ts';

describe('firingEventId', () => {
  it('gives the same UUID for the same timer and index on every attempt', () => {
    const id = firingEventId('reassess:a1:1');
    expect(isUuid(id)).toBe(true);
    expect(id).toBe(firingEventId('reassess:a1:1', 0));
    expect(
      new Set([id, firingEventId('reassess:a1:1', 1), firingEventId('reassess:a1:2')]).size,
    ).toBe(3);
  });

  it('refuses what is not a timer id', async () => {
    await expectAmanError(() => firingEventId('a#1'), 'AMAN_ERR_VALIDATION');
    await expectAmanError(() => firingEventId('a', -1), 'AMAN_ERR_VALIDATION');
  });
});

describe('prepareTimer', () => {
  it('identifies a schedule by kind, dueAt and payload, not by its trace or wording', () => {
    const one = prepareTimer({
      id: 't1',
      kind: 'k',
      dueAt: '2027-03-01T11:00:00+01:00',
      payload: { b: 1, a: [1, 2] },
    });
    const same = prepareTimer({
      id: 't1',
      kind: 'k',
      dueAt: '2027-03-01T10:00:00.000Z',
      payload: { a: [1, 2], b: 1 },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(one.timer.dueAt).toBe('2027-03-01T10:00:00.000Z');
    expect(same.fingerprint).toBe(one.fingerprint);
    const moved = prepareTimer({ ...one.timer, dueAt: '2027-03-01T10:00:00.001Z' });
    expect(moved.fingerprint).not.toBe(one.fingerprint);
  });

  it('refuses a dueAt that would not sort as text', async () => {
    await expectAmanError(
      () => prepareTimer({ id: 't', kind: 'k', dueAt: '9999-12-31T23:00:00-05:00', payload: {} }),
      'AMAN_ERR_VALIDATION',
    );
  });
});

describe('failureReason', () => {
  it('keeps an AmanError code and message and only the class of anything else', () => {
    expect(failureReason(new TypeError('Jane Doe is not found'))).toBe(
      'handler failed with TypeError',
    );
    expect(failureReason('Jane Doe')).toBe('handler failed with string');
  });
});
