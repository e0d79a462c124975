import { describe, expect, it } from '@jest/globals';

import { eventing } from '@aman/contracts';
import type { StoredEvent } from '@aman/eventstore';
import { expectAmanError } from '@aman/testing';

import { probeCodecs } from './testing/probe.ts';

function stored(data: StoredEvent['data'], type = 'PipelineProbe'): StoredEvent {
  return {
    id: '0190a0b0-0000-7000-8000-000000000001',
    stream: 'case-7',
    version: 4,
    position: 10,
    type,
    schemaVersion: 1,
    data,
    occurredAt: '2026-05-01T10:00:00.000Z',
    recordedAt: '2026-05-01T10:00:00.001Z',
    metadata: {
      actor: { organisationId: 'org', principalId: 'p' },
      correlationId: 'c',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
    previousHash: '',
    hash: '',
  };
}

describe('EventCodecs', () => {
  const codecs = probeCodecs();

  it('turns a stored event into a CloudEvent with a protobuf body, and back', () => {
    const message = codecs.toBusMessage(
      stored({ probeId: 'p-1', sentAt: '2026-05-01T10:00:00Z', note: 'hello' }),
    );
    expect(message).toMatchObject({
      id: '0190a0b0-0000-7000-8000-000000000001',
      source: '/aman/test',
      type: 'aman.eventing.v1.PipelineProbe',
      subject: 'case-7',
      stream: 'case-7',
      streamVersion: 4,
      time: '2026-05-01T10:00:00.000Z',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      dataContentType: 'application/protobuf',
    });
    expect(eventing.PipelineProbe.decode(message.data).note).toBe('hello');
    expect(codecs.decode(message)).toEqual({
      probeId: 'p-1',
      sentAt: '2026-05-01T10:00:00.000Z',
      note: 'hello',
    });
  });

  it('refuses data with a field the protobuf message would drop, without naming it', async () => {
    const error = await expectAmanError(
      () => codecs.toBusMessage(stored({ probeId: 'p', 'canary@example.org': 'x' })),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toMatch(/canary/i);
  });

  // Data parsed from JSON may hold any name as an own field, `__proto__` included.
  const prototypeNames = [
    ...Object.getOwnPropertyNames(Object.prototype),
    ...Object.getOwnPropertyNames(Function.prototype),
  ];

  it.each(prototypeNames)(
    'refuses a data field named %s that the message would drop',
    async (name) => {
      const data = JSON.parse(
        `{"probeId":"p",${JSON.stringify(name)}:"kept?"}`,
      ) as StoredEvent['data'];
      expect(Object.hasOwn(data, name)).toBe(true);
      await expectAmanError(() => codecs.toBusMessage(stored(data)), 'AMAN_ERR_VALIDATION');
    },
  );

  it('knows which event types leave the context', async () => {
    expect(codecs.publishes('PipelineProbe')).toBe(true);
    expect(codecs.publishes('ConsentRecorded')).toBe(false);
    expect(codecs.eventTypeOf('aman.eventing.v1.PipelineProbe')).toBe('PipelineProbe');
    for (const attempt of [
      () => codecs.eventTypeOf('aman.intake.v1.Unknown'),
      () => codecs.toBusMessage(stored({}, 'ConsentRecorded')),
    ]) {
      const error = await expectAmanError(attempt, 'AMAN_ERR_VALIDATION');
      expect(error.message).toMatch(/no protobuf binding/);
    }
  });
});
