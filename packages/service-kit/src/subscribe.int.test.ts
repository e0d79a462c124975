import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { EventStore } from '@aman/eventstore';
import { eventually } from '@aman/testing';

import { createLogger } from './logger.ts';
import { Platform } from './platform.ts';

// A subscription to several contexts hands its handler one event at a time: the embedded bus
// tails each producer's store in a loop of its own, and a handler that reads a read model and
// writes it back (a projection) would lose an update if two ran at once. The fault suite found
// that: a case view lost its `submitted` stage to the risk event folded beside it.

const logger = createLogger('test', 'silent');

describe('a subscription to several contexts, embedded mode', () => {
  let dir: string;
  const producers: Platform[] = [];
  let consumer: Platform;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aman-subscribe-'));
  });
  afterAll(async () => {
    await consumer.close();
    for (const producer of producers) await producer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const storeOf = async (service: 'intake' | 'risk-assessment'): Promise<EventStore> => {
    const producer = new Platform({ mode: 'embedded', dataDir: dir }, service, logger);
    producers.push(producer);
    return producer.eventStore();
  };
  const append = (store: EventStore, stream: string, type: string, caseId: string) =>
    store.append(
      stream,
      [
        {
          type,
          schemaVersion: 1,
          data: { caseId, organisationId: 'org-ngo' },
          metadata: {
            actor: { organisationId: 'org-ngo', principalId: 'p1' },
            correlationId: caseId,
          },
        },
      ],
      { expectedVersion: 'any' },
    );

  it('never runs its handler twice at once, whichever store the events come from', async () => {
    const intake = await storeOf('intake');
    const risk = await storeOf('risk-assessment');
    for (let n = 0; n < 8; n += 1) {
      await append(intake, `case-c${String(n)}`, 'CaseWithdrawn', `c${String(n)}`);
      await append(risk, `risk-c${String(n)}`, 'RiskAssessed', `c${String(n)}`);
    }
    consumer = new Platform({ mode: 'embedded', dataDir: dir }, 'projections', logger);
    let running = 0;
    let most = 0;
    const handled: string[] = [];
    await consumer.subscribe('both', ['intake', 'risk'], async (event) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((done) => setTimeout(done, 5));
      handled.push(`${event.source} ${event.stream}`);
      running -= 1;
    });
    await eventually('every event handled', async () => (handled.length === 16 ? true : undefined));
    expect(most).toBe(1);
    // Each producer's events still in their order.
    const intakeOrder = handled.filter((each) => each.includes('case-'));
    expect(intakeOrder).toEqual(
      Array.from({ length: 8 }, (_, n) => `/aman/intake case-c${String(n)}`),
    );
  });
});
