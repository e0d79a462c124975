import { describe, expect, it } from '@jest/globals';

import { UnavailableError, ValidationError } from '@aman/errors';

import { StreamVersionGuard, deliverWithRetries } from './delivery.ts';
import type { BusMessage } from './types.ts';

function message(source: string, stream: string, streamVersion: number): BusMessage {
  return {
    id: `${source}-${stream}-${streamVersion}`,
    source,
    type: 't',
    subject: stream,
    time: '2026-01-01T00:00:00.000Z',
    stream,
    streamVersion,
    dataContentType: 'application/protobuf',
    data: new Uint8Array(),
  };
}

describe('StreamVersionGuard', () => {
  it('skips versions of a stream it has applied, and only those', () => {
    const guard = new StreamVersionGuard();
    guard.markApplied(message('/aman/intake', 'case-1', 3));
    expect(guard.alreadyApplied(message('/aman/intake', 'case-1', 2))).toBe(true);
    expect(guard.alreadyApplied(message('/aman/intake', 'case-1', 3))).toBe(true);
    expect(guard.alreadyApplied(message('/aman/intake', 'case-1', 4))).toBe(false);
    expect(guard.alreadyApplied(message('/aman/intake', 'case-2', 1))).toBe(false);
  });

  it('keeps streams of different producing contexts apart', () => {
    const guard = new StreamVersionGuard();
    guard.markApplied(message('/aman/intake', 'case-42', 5));
    expect(guard.alreadyApplied(message('/aman/referral', 'case-42', 1))).toBe(false);
  });

  it('forgets the least recently applied stream beyond its limit', () => {
    const guard = new StreamVersionGuard(2);
    guard.markApplied(message('/s', 'a', 1));
    guard.markApplied(message('/s', 'b', 1));
    guard.markApplied(message('/s', 'c', 1));
    expect(guard.alreadyApplied(message('/s', 'a', 1))).toBe(false);
    expect(guard.alreadyApplied(message('/s', 'c', 1))).toBe(true);
  });
});

describe('deliverWithRetries', () => {
  const message: BusMessage = {
    id: 'e-1',
    source: '/aman/intake',
    type: 'aman.intake.v1.CaseSubmitted',
    subject: 'case-1',
    time: new Date().toISOString(),
    stream: 'case-1',
    streamVersion: 1,
    dataContentType: 'application/protobuf',
    data: new Uint8Array(),
  };

  /** Delivers `message` to `handler` on topic `t`, retrying 1 ms apart. */
  const deliver = (
    handler: () => Promise<void>,
    options: { readonly maxAttempts?: number; readonly stopping?: () => boolean } = {},
  ) =>
    deliverWithRetries(
      {
        group: 'g',
        topics: ['t'],
        retryDelayMs: 1,
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        handler,
      },
      message,
      't',
      options.stopping ?? (() => false),
    );

  it('retries a handler whose store is unavailable for as long as it is, past maxAttempts, never dead-lettering', async () => {
    let calls = 0;
    const outcome = await deliver(
      async () => {
        calls += 1;
        if (calls <= 6) throw new UnavailableError('the store is restarting');
      },
      { maxAttempts: 2 },
    );
    expect(outcome).toEqual({ ok: true });
    expect(calls).toBe(7);
  });

  it('still gives up on a message its handler refuses, after maxAttempts', async () => {
    let calls = 0;
    const outcome = await deliver(
      async () => {
        calls += 1;
        throw new ValidationError('cannot be handled');
      },
      { maxAttempts: 3 },
    );
    expect(outcome).toMatchObject({
      ok: false,
      interrupted: false,
      errorCode: 'AMAN_ERR_VALIDATION',
      attempts: 3,
    });
    expect(calls).toBe(3);
  });

  it('stops retrying an unavailable store when the subscription stops', async () => {
    let stopping = false;
    const outcome = await deliver(
      async () => {
        stopping = true;
        throw new UnavailableError('down');
      },
      { stopping: () => stopping },
    );
    expect(outcome).toEqual({ ok: false, interrupted: true });
  });
});
