import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { operations } from '@aman/contracts';
import { ValidationError } from '@aman/errors';
import type { EventStore } from '@aman/eventstore';
import {
  describeWithKafka,
  describeWithMongo,
  dropMongoDatabases,
  eventually,
  expectAmanError,
} from '@aman/testing';

import { ServiceClient, startGrpcServer, type GrpcServer } from './grpc.ts';
import { ServiceIdentity, type OrganisationType, type Principal } from './identity.ts';
import { createLogger } from './logger.ts';
import { operationsService } from './operations.ts';
import { Platform, type PlatformConfig } from './platform.ts';

const logger = createLogger('test', 'silent');

const principal = (organisationType: OrganisationType): Principal => ({
  organisationId: `org-${organisationType}`,
  organisationType,
  keyId: 'k1',
});

interface Mode {
  readonly config: PlatformConfig;
  readonly cleanUp: () => Promise<void>;
}

/** A withdrawal: a published intake event with nothing personal in it. */
async function withdraw(store: EventStore, caseId: string): Promise<void> {
  await store.append(
    `case-${caseId}`,
    [
      {
        type: 'CaseWithdrawn',
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
}

function pipelineStatus(mode: () => Mode): void {
  let current: Mode;
  let keys: string;
  let producer: Platform;
  let store: EventStore;
  let consumer: Platform;
  let server: GrpcServer;
  let gateway: ServiceIdentity;
  let referral: ServiceIdentity;
  let openGate: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();
  const handled: string[] = [];

  beforeAll(async () => {
    current = mode();
    keys = mkdtempSync(join(tmpdir(), 'aman-operations-keys-'));
    gateway = await ServiceIdentity.load('gateway', keys);
    referral = await ServiceIdentity.load('referral', keys);
    producer = new Platform(current.config, 'intake', logger);
    store = await producer.eventStore();
    await producer.publish('intake', store);
    consumer = new Platform(current.config, 'projections', logger);
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
    await consumer.subscribe('watch', ['intake'], async (event) => {
      const caseId = event.data['caseId'];
      if (caseId === 'case-poison') throw new ValidationError('cannot be handled');
      await gate;
      if (typeof caseId === 'string') handled.push(caseId);
    });
    consumer.registerCounter('probe_things', () => Promise.resolve(7));
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        operationsService({
          platform: consumer,
          identity: await ServiceIdentity.load('projections', keys),
          logger,
        }),
      ],
    });
  }, 60_000);

  afterAll(async () => {
    openGate();
    await server.stop();
    await consumer.close();
    await producer.close();
    await current.cleanUp();
    rmSync(keys, { recursive: true, force: true });
  }, 60_000);

  const client = (identity: ServiceIdentity) =>
    new ServiceClient({
      audience: 'projections',
      address: `127.0.0.1:${server.port}`,
      client: operations.OperationsServiceClient,
      identity,
    });

  /** The consumer's status over gRPC, as the gateway reads it for an operator. */
  async function status(): Promise<operations.GetPipelineStatusResponse> {
    const operator = client(gateway);
    try {
      return await operator.call('getPipelineStatus', {}, { principal: principal('operator') });
    } finally {
      operator.close();
    }
  }

  async function intakeTopic(): Promise<operations.ConsumerTopicStatus> {
    const topic = (await status()).consumers[0]?.topics[0];
    if (topic === undefined) throw new Error('no consumer topic in the status');
    return topic;
  }

  it('shows a held-up consumer’s lag going up and back to 0, and its dead letter', async () => {
    const before = await status();
    expect(before).toMatchObject({
      service: 'projections',
      counters: [{ name: 'probe_things', value: 7 }],
    });
    expect(before.consumers).toEqual([
      expect.objectContaining({
        name: 'watch',
        groupId: expect.stringMatching(/projections\.watch$/),
      }),
    ]);

    for (const caseId of ['case-1', 'case-2', 'case-poison', 'case-3']) {
      await withdraw(store, caseId);
    }
    const head = await store.headPosition();
    // The first event holds the handler: nothing is processed, the lag is every event.
    const held = await eventually('the lag of four events', async () => {
      const topic = await intakeTopic();
      return topic.lag === 4 ? topic : undefined;
    });
    expect(held.deadLetters).toBe(0);
    if (current.config.mode === 'embedded') {
      expect(held).toMatchObject({ checkpointPosition: head - 4, sourceHeadPosition: head });
      expect(held.partitions).toEqual([]);
    } else {
      expect(held.partitions.length).toBeGreaterThan(0);
      expect(held.partitions.reduce((sum, p) => sum + p.lag, 0)).toBe(4);
      for (const partition of held.partitions) {
        expect(partition.lag).toBe(
          partition.committedOffset < 0
            ? partition.endOffset
            : partition.endOffset - partition.committedOffset,
        );
      }
    }

    openGate();
    const caughtUp = await eventually('the consumer to catch up', async () => {
      const topic = await intakeTopic();
      return topic.lag === 0 && topic.deadLetters === 1 ? topic : undefined;
    });
    // Kafka orders per case (partition key), not across cases.
    expect([...handled].sort()).toEqual(['case-1', 'case-2', 'case-3']);
    if (current.config.mode === 'embedded') {
      expect(caughtUp).toMatchObject({ checkpointPosition: head, sourceHeadPosition: head });
    }
  }, 120_000);

  it('shows the producer’s store head and, distributed, its relay’s backlog draining', async () => {
    const published = await eventually('the relay to publish everything', async () => {
      const status = await producer.pipelineStatus();
      return status.relays.every((relay) => relay.backlog === 0) ? status : undefined;
    });
    const head = await store.headPosition();
    expect(published.headPosition).toBe(head);
    if (current.config.mode === 'embedded') {
      // The store is the log: nothing is relayed.
      expect(published.relays).toEqual([]);
      return;
    }
    expect(published.relays).toEqual([
      { topic: expect.stringMatching(/aman\.intake\.v1$/), publishedPosition: head, backlog: 0 },
    ]);

    // The relay stopped (its service is down) while the service's events are appended…
    await producer.close();
    producer = new Platform(current.config, 'intake', logger);
    store = await producer.eventStore();
    for (const caseId of ['case-4', 'case-5', 'case-6']) await withdraw(store, caseId);
    // …and restarted: read at once, its first batch is still on its way to Kafka.
    await producer.publish('intake', store);
    const restarted = await producer.pipelineStatus();
    expect(restarted.relays).toEqual([
      expect.objectContaining({ publishedPosition: head, backlog: 3 }),
    ]);
    await eventually('the relay to catch up', async () => {
      const status = await producer.pipelineStatus();
      return status.relays[0]?.backlog === 0 && status.relays[0].publishedPosition === head + 3;
    });
    await eventually(
      'the consumer to read them',
      async () => (await intakeTopic()).lag === 0 && handled.length === 6,
    );
  }, 120_000);

  it('is healthy while its store (and, distributed, the broker) answers, and not once closed', async () => {
    const probe = new Platform(current.config, 'intake', logger);
    await probe.eventStore();
    expect(await probe.healthy()).toBe(true);
    await probe.close();
    expect(await probe.healthy()).toBe(false);
  });

  it('answers only the gateway acting for an operator or an administrator', async () => {
    const fromGateway = client(gateway);
    const fromReferral = client(referral);
    try {
      for (const type of ['operator', 'admin'] as const) {
        const answer = await fromGateway.call(
          'getPipelineStatus',
          {},
          { principal: principal(type) },
        );
        expect(answer.service).toBe('projections');
      }
      for (const type of ['ngo', 'provider', 'monitor'] as const) {
        await expectAmanError(
          fromGateway.call('getPipelineStatus', {}, { principal: principal(type) }),
          'AMAN_ERR_FORBIDDEN',
        );
      }
      await expectAmanError(fromGateway.call('getPipelineStatus', {}), 'AMAN_ERR_FORBIDDEN');
      await expectAmanError(
        fromReferral.call('getPipelineStatus', {}, { principal: principal('operator') }),
        'AMAN_ERR_FORBIDDEN',
      );
    } finally {
      fromGateway.close();
      fromReferral.close();
    }
  });
}

describe('pipeline status, embedded (SQLite)', () => {
  pipelineStatus(() => {
    const dir = mkdtempSync(join(tmpdir(), 'aman-operations-'));
    return {
      config: { mode: 'embedded', dataDir: dir },
      cleanUp: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  });
});

describeWithKafka('pipeline status, distributed', (kafka) => {
  describeWithMongo('MongoDB and Kafka', (mongo) => {
    pipelineStatus(() => ({
      config: {
        mode: 'distributed',
        mongoUri: mongo.uri,
        kafkaBrokers: kafka.brokers,
        databasePrefix: mongo.database,
        topicPrefix: `${kafka.namespace}.`,
      },
      cleanUp: () => dropMongoDatabases(mongo.uri, mongo.database),
    }));
  });
});
