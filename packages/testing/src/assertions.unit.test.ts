import { describe, expect, it } from '@jest/globals';

import { NotFoundError, ValidationError } from '@aman/errors';

import { expectAmanError } from './assertions.ts';

describe('expectAmanError', () => {
  it('returns the error when the promise rejects with that code', async () => {
    const error = await expectAmanError(
      Promise.reject(new NotFoundError('no such case')),
      'AMAN_ERR_NOT_FOUND',
    );
    expect(error.message).toBe('no such case');
  });

  it('fails on another code, a foreign error or a resolved promise', async () => {
    await expect(
      expectAmanError(Promise.reject(new ValidationError('bad')), 'AMAN_ERR_NOT_FOUND'),
    ).rejects.toThrow(/got AMAN_ERR_VALIDATION/);
    await expect(
      expectAmanError(Promise.reject(new Error('boom')), 'AMAN_ERR_NOT_FOUND'),
    ).rejects.toThrow(/got Error: boom/);
    await expect(expectAmanError(Promise.resolve(1), 'AMAN_ERR_NOT_FOUND')).rejects.toThrow(
      /it resolved/,
    );
  });

  it('takes a step that throws synchronously, or returns a promise that rejects', async () => {
    const thrown = await expectAmanError(() => {
      throw new ValidationError('bad field');
    }, 'AMAN_ERR_VALIDATION');
    expect(thrown.message).toBe('bad field');
    await expectAmanError(
      () => Promise.reject(new NotFoundError('no such case')),
      'AMAN_ERR_NOT_FOUND',
    );
    await expect(expectAmanError(() => 1, 'AMAN_ERR_NOT_FOUND')).rejects.toThrow(/it resolved/);
  });
});
