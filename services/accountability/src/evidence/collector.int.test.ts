import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  CHECKPOINT_COLLECTED,
  CHECKPOINT_REFUSED,
  CHECKPOINT_STREAM,
  CheckpointIssuer,
  KeyDirectory,
  checkpointBytes,
  collectedStreamOf,
  ed25519Signer,
  type CheckpointSigner,
} from '@aman/evidence';
import { SqliteEventStore, type StoredEvent } from '@aman/eventstore';
import { codecsOf, type ConsumedEvent, type ContextName } from '@aman/service-kit';

import { CheckpointCollector } from './collector.ts';

/** The stored checkpoint event as a consumer receives it: through its context's protobuf codec. */
function consumed(event: StoredEvent, context: ContextName): ConsumedEvent {
  const codecs = codecsOf(context);
  const message = codecs.toBusMessage(event);
  return {
    id: message.id,
    source: message.source,
    stream: message.stream,
    version: message.streamVersion,
    type: codecs.eventTypeOf(message.type),
    data: codecs.decode(message),
    occurredAt: message.time,
    traceparent: undefined,
  };
}

describe('accountability collects every service checkpoint into its own log', () => {
  let dir: string;
  let intakeStore: SqliteEventStore;
  let log: SqliteEventStore;
  let signer: CheckpointSigner;
  let impostor: CheckpointSigner;
  let collector: CheckpointCollector;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aman-collector-'));
    const own = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const publicJwk = { ...own };
    delete publicJwk.d;
    writeFileSync(join(dir, 'intake.pub.jwk'), JSON.stringify(publicJwk));
    signer = ed25519Signer('intake', own);
    impostor = ed25519Signer(
      'intake',
      generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
    );
    intakeStore = new SqliteEventStore({ path: join(dir, 'intake.events.db') });
    log = new SqliteEventStore({ path: join(dir, 'accountability.events.db') });
    collector = new CheckpointCollector(log, new KeyDirectory(dir));
  });

  afterAll(async () => {
    await intakeStore.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function issued(): Promise<StoredEvent> {
    await intakeStore.append(
      'case-1',
      [
        {
          type: 'NoteAdded',
          schemaVersion: 1,
          data: {},
          metadata: { actor: { organisationId: 'o', principalId: 'p' }, correlationId: 'c' },
        },
      ],
      { expectedVersion: 'any' },
    );
    await new CheckpointIssuer({ store: intakeStore, signer }).issue();
    const events = await intakeStore.readStream(CHECKPOINT_STREAM);
    return events[events.length - 1] as StoredEvent;
  }

  const kept = async (): Promise<StoredEvent[]> => log.readStream(collectedStreamOf('intake'));

  it('keeps each checkpoint once, in order, as published through the protobuf codec', async () => {
    const first = await issued();
    await collector.handle(consumed(first, 'intake'));
    await collector.handle(consumed(first, 'intake'));
    const second = await issued();
    await collector.handle(consumed(second, 'intake'));
    const events = await kept();
    expect(events.map((e) => e.type)).toEqual([CHECKPOINT_COLLECTED, CHECKPOINT_COLLECTED]);
    expect(events.map((e) => e.data)).toEqual([first.data, second.data]);
  });

  it('refuses a checkpoint signed by another key, and keeps the refusal on record', async () => {
    const genuine = await issued();
    const body = genuine.data as Parameters<typeof checkpointBytes>[0];
    const forged = {
      ...genuine,
      data: { ...genuine.data, signature: await impostor.sign(checkpointBytes(body)) },
    } as StoredEvent;
    const before = (await kept()).length;
    await collector.handle(consumed(forged, 'intake'));
    const after = await kept();
    expect(after).toHaveLength(before + 1);
    expect(after[after.length - 1]).toMatchObject({
      type: CHECKPOINT_REFUSED,
      data: { service: 'intake', reason: "not signed by the service's key" },
    });
    // The genuine one is still kept after the forgery.
    await collector.handle(consumed(genuine, 'intake'));
    expect((await kept()).at(-1)).toMatchObject({ type: CHECKPOINT_COLLECTED, data: genuine.data });
  });

  it("refuses intake's checkpoint published on another service's context", async () => {
    const genuine = await issued();
    await collector.handle(consumed(genuine, 'referral'));
    expect((await kept()).at(-1)).toMatchObject({
      type: CHECKPOINT_REFUSED,
      data: { reason: "published by another service's context" },
    });
  });

  it('refuses a checkpoint that does not link to the one kept before', async () => {
    await collector.handle(consumed(await issued(), 'intake'));
    const genuine = await issued();
    const body = {
      ...(genuine.data as Parameters<typeof checkpointBytes>[0]),
      previousHash: 'f'.repeat(64),
    };
    const forkedEvent = {
      ...genuine,
      data: { ...body, signature: await signer.sign(checkpointBytes(body)) },
    } as StoredEvent;
    await collector.handle(consumed(forkedEvent, 'intake'));
    expect((await kept()).at(-1)).toMatchObject({
      type: CHECKPOINT_REFUSED,
      data: { reason: 'does not link to the checkpoint before it: the chain forks' },
    });
  });
});
