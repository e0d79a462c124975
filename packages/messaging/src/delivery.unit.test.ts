import { describe, expect, it } from '@jest/globals';

import { StreamVersionGuard } from './delivery.ts';
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
