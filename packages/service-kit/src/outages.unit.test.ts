import { describe, expect, it } from '@jest/globals';

import { AmanError, ValidationError } from '@aman/errors';

import { asOutage } from './outages.ts';

const named = (name: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error('driver said something'), { name, ...extra });

describe('a database outage', () => {
  it('is UNAVAILABLE when the database cannot be reached, is shutting down or says to retry', () => {
    for (const error of [
      named('MongoServerSelectionError'),
      named('MongoNetworkError'),
      named('MongoServerError', { code: 11600 }),
      named('MongoServerError', { code: 91 }),
      named('MongoBulkWriteError', {
        hasErrorLabel: (label: string) => label === 'RetryableWriteError',
      }),
    ]) {
      const outage = asOutage(error);
      expect([error.name, AmanError.is(outage, 'AMAN_ERR_UNAVAILABLE')]).toEqual([
        error.name,
        true,
      ]);
      // Nothing of the driver's message is passed on.
      expect((outage as Error).message).not.toContain('driver said');
    }
  });

  it('leaves every other error as it was', () => {
    const refusal = new ValidationError('bad');
    const duplicate = named('MongoServerError', { code: 11000 });
    const bug = new TypeError('oops');
    expect(asOutage(refusal)).toBe(refusal);
    expect(asOutage(duplicate)).toBe(duplicate);
    expect(asOutage(bug)).toBe(bug);
    expect(asOutage('a string')).toBe('a string');
  });
});
