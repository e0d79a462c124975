import { expect } from '@jest/globals';

import { AmanError, type ErrorCode } from '@aman/errors';

/**
 * The one way tests assert a deliberate failure: `attempt` fails with an AmanError of `code`.
 * `attempt` is a promise that should reject, or a function that should throw or return one (so a
 * synchronous step needs no wrapping). Returns the error for further checks (its message must not
 * leak, say).
 */
export async function expectAmanError(
  attempt: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<AmanError> {
  let outcome: { rejected: true; error: unknown } | { rejected: false };
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
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
