import { expect } from '@jest/globals';

import { AmanError, type ErrorCode } from '@aman/errors';

/**
 * The one way tests assert a deliberate failure: `promise` rejects with an AmanError of `code`.
 * Returns the error for further checks (its message must not leak, say).
 */
export async function expectAmanError(
  promise: Promise<unknown>,
  code: ErrorCode,
): Promise<AmanError> {
  let outcome: { rejected: true; error: unknown } | { rejected: false };
  try {
    await promise;
    outcome = { rejected: false };
  } catch (error) {
    outcome = { rejected: true, error };
  }
  if (!outcome.rejected) throw new Error(`expected a rejection with ${code}, but it resolved`);
  const { error } = outcome;
  if (!AmanError.is(error, code)) {
    const got = AmanError.is(error) ? error.code : String(error);
    throw new Error(`expected a rejection with ${code}, got ${got}`, { cause: error });
  }
  expect(error.code).toBe(code);
  return error;
}
