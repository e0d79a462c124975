import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';

import type { EventStore, JsonObject, StoredEvent } from '@aman/eventstore';
import { OutboundClient } from '@aman/outbound';
import type { ReadModelStore } from '@aman/projections';
import {
  CONTEXTS,
  Platform,
  type ConsumedEvent,
  type Logger,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import { describeWithKafka, describeWithMongo, eventually } from '@aman/testing';
import type { TimerStore } from '@aman/timers';

import { httpWebhookSender } from '../adapters/webhookSender.ts';
import { Referrals } from '../application/referrals.ts';
import {
  WebhookDelivery,
  notificationQueueStream,
  type WebhookEndpoints,
} from '../application/webhookDelivery.ts';

const admin: Principal = { organisationId: 'operator', organisationType: 'admin', keyId: 'cli' };
const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const quiet = (): Logger => {
  const none = () => undefined;
  return {
    info: none,
    warn: none,
    error: none,
    debug: none,
    trace: none,
    fatal: none,
  } as unknown as Logger;
};

type Received = { path: string; type: string; referralId: string; signatures: number };

/** Providers' endpoints per path: each verifies with the one secret it knows, answers as told. */
function receiver(known: Map<string, string>, down: Set<string>) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      const headers = {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      };
      let payload: { type: string; data: { referralId: string } };
      try {
        payload = new Webhook(known.get(path) ?? secret()).verify(
          Buffer.concat(chunks).toString('utf8'),
          headers,
        ) as typeof payload;
      } catch {
        response.writeHead(401).end();
        return;
      }
      if (down.has(payload.data.referralId)) {
        response.writeHead(503).end();
        return;
      }
      received.push({
        path,
        type: payload.type,
        referralId: payload.data.referralId,
        signatures: headers['webhook-signature'].split(' ').length,
      });
      response.writeHead(204).end();
    });
  });
  return { server, received };
}

describe('webhook delivery with the embedded platform', () => {
  deliverySuite((dir) => ({ mode: 'embedded', dataDir: dir }));
});

describeWithMongo('webhook delivery with the distributed platform', ({ uri, database }) => {
  describeWithKafka('FerretDB and Kafka', ({ brokers, namespace }) => {
    deliverySuite(() => ({
      mode: 'distributed',
      mongoUri: uri,
      kafkaBrokers: brokers,
      databasePrefix: database,
      topicPrefix: `${namespace}.`,
    }));
  });
});

/**
 * The delivery as main.ts wires it (event store, read models and durable timers of the mode, the
 * outbound client, a real HTTP receiver), fed the referral events the bus would hand it. The
 * tests build on each other, in order.
 */
function deliverySuite(platformConfig: (dir: string) => PlatformConfig): void {
  const dir = mkdtempSync(join(tmpdir(), 'aman-webhooks-'));
  const oldSecret = secret();
  const newSecret = secret();
  const secrets = new Map([
    ['/embassy', secret()],
    ['/knows-new', newSecret],
    ['/knows-old', oldSecret],
  ]);
  const down = new Set<string>();
  const hooks = receiver(secrets, down);
  let platform: Platform;
  let store: EventStore;
  let readModels: ReadModelStore;
  let timers: TimerStore;
  let referrals: Referrals;
  let delivery: WebhookDelivery;
  let base: string;

  const endpoints: WebhookEndpoints = {
    webhookEndpoint: (organisationId) => {
      const path = { 'org-embassy': '/embassy', 'org-new': '/knows-new', 'org-old': '/knows-old' }[
        organisationId
      ];
      if (path === undefined) return Promise.resolve(undefined);
      const url = `${base}${path}?token=canary`;
      // The new and the old secret both sign while the rotation overlaps.
      return Promise.resolve(
        path === '/embassy'
          ? { url, secret: secrets.get(path) ?? '' }
          : { url, secret: newSecret, secrets: [newSecret, oldSecret] },
      );
    },
  };
  const start = (retry = { attempts: 3, firstDelayMs: 100, maxDelayMs: 400 }) =>
    new WebhookDelivery({
      store,
      timers,
      readModels,
      referrals,
      providers: endpoints,
      sender: httpWebhookSender(
        new OutboundClient({ allowInsecureLoopback: true, timeoutMs: 2_000 }),
      ),
      logger: quiet(),
      retry,
      pollMs: 50,
    });

  beforeAll(async () => {
    await new Promise<void>((resolve) => hooks.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(hooks.server.address() as AddressInfo).port}`;
    platform = new Platform(platformConfig(dir), 'referral', quiet());
    store = await platform.eventStore();
    readModels = await platform.readModels();
    timers = await platform.timers();
    referrals = await Referrals.open({
      store,
      readModels,
      packets: { fetch: () => Promise.resolve(undefined) },
    });
    delivery = start();
  });

  afterAll(async () => {
    await delivery.stop();
    await platform.close();
    await new Promise((resolve) => hooks.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const consumed = (event: StoredEvent): ConsumedEvent => ({
    id: event.id,
    source: CONTEXTS.referral.source,
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
    occurredAt: event.occurredAt,
    traceparent: undefined,
  });
  const append = async (referralId: string, type: string, data: JsonObject) => {
    const stream = `referral-${referralId}`;
    const { events } = await store.append(
      stream,
      [
        {
          type,
          schemaVersion: 1,
          data,
          metadata: {
            actor: { organisationId: 'org-ngo', principalId: 'test' },
            correlationId: 'x',
          },
        },
      ],
      { expectedVersion: (await store.streamVersion(stream)) ?? 'no_stream' },
    );
    await delivery.onEvent(consumed(events[0]!));
  };
  const ids = (caseId: string, provider: string) => ({
    referralId: `ref-${caseId}-${provider}`,
    caseId,
    providerOrganisationId: provider,
    organisationId: 'org-ngo',
  });
  const route = (caseId: string, provider: string) =>
    append(ids(caseId, provider).referralId, 'ReferralRouted', {
      ...ids(caseId, provider),
      recipientType: 'RECIPIENT_TYPE_EMBASSY',
      reasons: ['serves NEED_RELOCATION_ABROAD'],
      deadlineClass: 'DEADLINE_CLASS_URGENT',
      respondBy: '2030-01-01T00:00:00.000Z',
      routedAt: new Date().toISOString(),
    });
  const revoke = (caseId: string, provider: string) =>
    append(ids(caseId, provider).referralId, 'ReferralStatusChanged', {
      ...ids(caseId, provider),
      status: 'REFERRAL_STATUS_REVOKED',
      reason: 'consent_withdrawn',
      changedAt: new Date().toISOString(),
    });
  const statusOf = async (caseId: string, provider: string) =>
    (await referrals.state(ids(caseId, provider).referralId)).status;
  const seen = (caseId: string) =>
    hooks.received
      .filter((hook) => hook.referralId === ids(caseId, 'org-embassy').referralId)
      .map((hook) => hook.type);

  it('dead-letters past the retry budget, holds that case back, and lets another case flow', async () => {
    down.add(ids('case-1', 'org-embassy').referralId);
    await route('case-1', 'org-embassy');
    const [letter] = await eventually('the dead letter', async () => {
      const letters = await delivery.deadLetters(admin);
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter).toMatchObject({
      providerOrganisationId: 'org-embassy',
      caseId: 'case-1',
      notice: 'referral.routed',
      attempts: 3,
      reason: 'status 503',
    });
    expect(await statusOf('case-1', 'org-embassy')).toBe('REFERRAL_STATUS_ROUTED');

    // The revocation waits behind the dead routing; case 2 of the same provider flows.
    await revoke('case-1', 'org-embassy');
    await route('case-2', 'org-embassy');
    await eventually('case 2 delivered', async () =>
      (await statusOf('case-2', 'org-embassy')) === 'REFERRAL_STATUS_DELIVERED' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen('case-1')).toEqual([]);
    expect((await delivery.deadLetters(admin))[0]).toMatchObject({ heldBack: 1 });
  });

  it('keeps its schedule across a restart', async () => {
    await delivery.stop();
    // The endpoint comes back while the service is down; no new event arrives.
    down.clear();
    delivery = start();
    // Still held: a dead letter waits for an operator, also after a restart.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen('case-1')).toEqual([]);

    // Case 3's first attempt fails; the service stops before the retry is due (0.5 to 1 s).
    await delivery.stop();
    const slower = { attempts: 3, firstDelayMs: 1_000, maxDelayMs: 1_000 };
    delivery = start(slower);
    down.add(ids('case-3', 'org-embassy').referralId);
    await route('case-3', 'org-embassy');
    const queue = notificationQueueStream('org-embassy', 'case-3');
    await eventually('the first failed attempt', async () =>
      (await store.readStream(queue)).some((event) => event.type === 'DeliveryAttemptFailed')
        ? true
        : undefined,
    );
    await delivery.stop();
    down.clear();
    delivery = start(slower);
    await eventually('case 3 delivered after the restart', async () =>
      (await statusOf('case-3', 'org-embassy')) === 'REFERRAL_STATUS_DELIVERED' ? true : undefined,
    );
    expect(seen('case-3')).toEqual(['referral.routed']);
    // The referral records the delivery first, then the queue.
    await eventually('the queue’s record of it', async () =>
      (await store.readStream(queue)).length >= 3 ? true : undefined,
    );
    expect((await store.readStream(queue)).map((event) => event.type)).toEqual([
      'NotificationQueued',
      'DeliveryAttemptFailed',
      'NotificationDelivered',
    ]);
  });

  it('redelivers on request, and the held notifications follow in order', async () => {
    const letter = (await delivery.deadLetters(admin)).find((dead) => dead.caseId === 'case-1');
    await delivery.redeliver(admin, {
      providerOrganisationId: 'org-embassy',
      caseId: 'case-1',
      notificationId: letter!.notificationId,
    });
    await eventually('the revocation after the routing', async () =>
      seen('case-1').length >= 2 ? true : undefined,
    );
    expect(seen('case-1')).toEqual(['referral.routed', 'referral.revoked']);
    expect(await delivery.deadLetters(admin)).toEqual([]);
    const state = await referrals.state(ids('case-1', 'org-embassy').referralId);
    expect(state.status).toBe('REFERRAL_STATUS_REVOKED');
  });

  it('refuses redelivery to anyone but an operator', async () => {
    const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'k' };
    await expect(delivery.deadLetters(ngo)).rejects.toMatchObject({ code: 'AMAN_ERR_FORBIDDEN' });
  });

  it('signs with the old and the new secret while a rotation overlaps', async () => {
    await route('case-4', 'org-new');
    await route('case-4', 'org-old');
    await eventually('both rotated endpoints verified', async () =>
      hooks.received.filter((hook) => hook.path.startsWith('/knows-')).length >= 2
        ? true
        : undefined,
    );
    const rotated = hooks.received.filter((hook) => hook.path.startsWith('/knows-'));
    expect(rotated.map((hook) => hook.path).sort()).toEqual(['/knows-new', '/knows-old']);
    expect(rotated.every((hook) => hook.signatures === 2)).toBe(true);
  });
}
