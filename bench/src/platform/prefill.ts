// Stored events for the scaling figure: intake's event store filled before the services start, so
// that intake's latency can be measured with 10k, 100k or 1M events already in its log.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { SqliteEventStore, type NewEvent } from '@aman/eventstore';

/** Ciphertext-like bytes, the size of a sealed name and narrative. */
const SEALED = randomBytes(384).toString('base64');

/**
 * A type no context publishes and no handler reads: every tailer of intake's log skips it, so the
 * filler grows the stores (table, indexes, hash chain) without queueing work for the consumers.
 * Each is about the size of a sealed submission, one per case stream, as a surge leaves them.
 */
const FILLER_TYPE = 'bench.stored-case';

function filler(n: number): NewEvent {
  return {
    type: FILLER_TYPE,
    schemaVersion: 1,
    data: { seq: n, sealedIdentity: SEALED, sealedNarrative: SEALED },
    metadata: {
      actor: { organisationId: 'org-bench-ngo', principalId: 'principal-bench-filler' },
      correlationId: `correlation-filler-${n}`,
    },
  };
}

/** Appends of this many streams are in flight at once: the store commits them as one group. */
const IN_FLIGHT = 500;

/** Writes `events` filler events to intake's event store in `dataDir` (embedded layout). */
export async function prefillIntakeLog(dataDir: string, events: number): Promise<void> {
  const store = new SqliteEventStore({ path: join(dataDir, 'intake.events.db') });
  try {
    for (let from = 0; from < events; from += IN_FLIGHT) {
      const count = Math.min(IN_FLIGHT, events - from);
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          store.append(`case-filler-${String(from + i)}`, [filler(from + i)], {
            expectedVersion: 'no_stream',
          }),
        ),
      );
    }
  } finally {
    await store.close();
  }
}
