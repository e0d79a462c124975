import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { AmanError } from '@aman/errors';
import { SqliteEventStore, type EventStore } from '@aman/eventstore';
import { SqliteReadModelStore } from '@aman/projections';

import { referralDecider, referralStream, type ReferralEvent } from '../domain/index.ts';
import { Referrals } from './referrals.ts';

// A consumer reacting to one of the referral's own events reads the referral's state: on MongoDB
// the log (and so the relay) can be a moment ahead of the stream's index, and a state read then
// would be older than the event. stateAtLeast waits for the event rather than decide early.

describe('the referral state a consumer of its own events reads', () => {
  let dir: string;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  /** readStream calls that still see the stream as it was before its last event. */
  let behind = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aman-state-at-least-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    readModels = new SqliteReadModelStore({ path: join(dir, 'readmodels.db') });
    const decided = referralDecider.decide(
      {
        type: 'RouteReferral',
        data: {
          referralId: 'ref-1',
          caseId: 'case-1',
          providerOrganisationId: 'org-provider',
          organisationId: 'org-ngo',
          recipientType: 'RECIPIENT_TYPE_EMBASSY',
          reasons: ['offers the service needed'],
          deadlineClass: 'DEADLINE_CLASS_NORMAL',
          acknowledgeWithinSeconds: 3600,
          decideWithinSeconds: 7200,
          routedAt: new Date().toISOString(),
        },
      },
      referralDecider.initialState(),
    );
    const routed: ReferralEvent | undefined = Array.isArray(decided)
      ? (decided as readonly ReferralEvent[])[0]
      : (decided as ReferralEvent);
    if (routed === undefined) throw new Error('nothing routed');
    await store.append(
      referralStream('ref-1'),
      [
        {
          ...routed,
          schemaVersion: 1,
          metadata: {
            actor: { organisationId: 'referral', principalId: 'referral' },
            correlationId: 'case-1',
          },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
  });
  afterAll(async () => {
    await store.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The store as a reader sees it while the stream's index lags its log. */
  const lagging = (): EventStore =>
    Object.assign(Object.create(store) as EventStore, {
      readStream: async (...args: Parameters<EventStore['readStream']>) => {
        const events = await store.readStream(...args);
        if (behind === 0) return events;
        behind -= 1;
        return events.slice(0, -1);
      },
    });

  it('waits until the stream holds the event, and gives the state with it', async () => {
    const referrals = await Referrals.open({
      store: lagging(),
      readModels,
      packets: { packet: async () => undefined } as never,
    });
    behind = 3;
    expect((await referrals.state('ref-1')).status).toBe('NOT_ROUTED');
    expect((await referrals.stateAtLeast('ref-1', 1)).status).toBe('REFERRAL_STATUS_ROUTED');
    expect(behind).toBe(0);
  });

  it('says UNAVAILABLE, for the consumer to try again, when the event does not show in time', async () => {
    const referrals = await Referrals.open({
      store: lagging(),
      readModels,
      packets: { packet: async () => undefined } as never,
    });
    behind = 1_000;
    const refused = await referrals.stateAtLeast('ref-1', 1, 300).catch((error: unknown) => error);
    expect(AmanError.is(refused, 'AMAN_ERR_UNAVAILABLE')).toBe(true);
    behind = 0;
  });
});
