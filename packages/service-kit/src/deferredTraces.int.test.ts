import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

import type { BusMessage, Publisher } from '@aman/messaging';
import { eventually } from '@aman/testing';
import { SqliteTimerStore, type TimerStore } from '@aman/timers';

import { createLogger } from './logger.ts';
import { SpanKind, activeTraceIds, currentTraceparent, inSpan } from './telemetry.ts';
import { runTimers, tracedTimerStore } from './timers.ts';
import { tracedPublisher } from './tracedPublisher.ts';

// Work deferred past a request is a trace of its own, linked back (issue 11); a record the relay
// publishes continues its event's trace through a producer span. Spans are kept in memory here.

const exporter = new tracing.InMemorySpanExporter();
const sdk = new NodeSDK({
  serviceName: 'deferred-traces-test',
  instrumentations: [],
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
});
const spans = () => exporter.getFinishedSpans();
const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1] ?? '';
const spanIdOf = (traceparent: string | undefined) => traceparent?.split('-')[2] ?? '';

beforeAll(() => {
  sdk.start();
});
afterAll(async () => {
  await sdk.shutdown();
});

describe('a timer that fires', () => {
  let dir: string;
  let store: TimerStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aman-deferred-'));
    store = tracedTimerStore(new SqliteTimerStore({ path: join(dir, 'timers.db') }));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a trace of its own, linked to the span that scheduled it, with the ids it names', async () => {
    const scheduledIn = await inSpan('POST /v1/cases', { kind: SpanKind.SERVER }, async () => {
      await store.schedule({
        id: 'deadline:one',
        kind: 'referral.deadline-due',
        dueAt: new Date(Date.now() - 1000).toISOString(),
        payload: { referralId: 'ref-1', caseId: 'case-1', deadline: 'acknowledgement' },
      });
      return currentTraceparent();
    });
    let firedIn: { trace_id: string; span_id: string } | undefined;
    const runner = runTimers({
      store,
      logger: createLogger('test', 'silent'),
      what: 'test',
      pollMs: 20,
      handle: async () => {
        firedIn = activeTraceIds();
      },
    });
    try {
      await eventually('the firing', async () => firedIn);
    } finally {
      await runner.stop();
    }
    const timerSpan = spans().find((span) => span.name === 'timer referral.deadline-due');
    expect(timerSpan).toBeDefined();
    const context = timerSpan?.spanContext();
    // Its own trace, with no parent: the handler ran in it.
    expect(context?.traceId).not.toBe(traceIdOf(scheduledIn));
    expect(timerSpan?.parentSpanContext).toBeUndefined();
    expect(firedIn).toEqual({ trace_id: context?.traceId, span_id: context?.spanId });
    // Linked back to the request's span.
    expect(timerSpan?.links.map((link) => link.context.traceId)).toEqual([traceIdOf(scheduledIn)]);
    expect(timerSpan?.links.map((link) => link.context.spanId)).toEqual([spanIdOf(scheduledIn)]);
    expect(timerSpan?.attributes).toMatchObject({
      'aman.timer.kind': 'referral.deadline-due',
      'aman.timer.attempt': 1,
      'aman.referral.id': 'ref-1',
      'aman.case.id': 'case-1',
    });
  });

  it('keeps a traceparent the scheduler gave, and schedules none outside any span', async () => {
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await inSpan('elsewhere', {}, () =>
      store.schedule({
        id: 'given',
        kind: 'k',
        dueAt: new Date(Date.now() + 60_000).toISOString(),
        payload: {},
        traceparent: given,
      }),
    );
    await store.schedule({
      id: 'untraced',
      kind: 'k',
      dueAt: new Date(Date.now() + 60_000).toISOString(),
      payload: {},
    });
    const claim = async (id: string) =>
      store.claim(id, {
        now: new Date(Date.now() + 120_000),
        leaseMs: 1000,
        owner: 'test',
        maxAttempts: 3,
      });
    expect((await claim('given'))?.timer.traceparent).toBe(given);
    expect((await claim('untraced'))?.timer.traceparent).toBeUndefined();
  });
});

describe('a record the relay publishes', () => {
  const message = (id: string, traceparent?: string): BusMessage => ({
    id,
    source: '/aman/intake',
    type: 'aman.intake.v1.CaseSubmitted',
    subject: 'case-1',
    time: new Date(Date.now() - 50).toISOString(),
    stream: 'case-1',
    streamVersion: 1,
    dataContentType: 'application/protobuf',
    data: new Uint8Array([1]),
    ...(traceparent === undefined ? {} : { traceparent }),
  });

  it('is sent under a producer span in its event’s trace, and carries that span onwards', async () => {
    const stored = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sent: BusMessage[] = [];
    const publisher = tracedPublisher({
      publish: async (_topic, messages) => {
        sent.push(...messages);
      },
      close: async () => undefined,
    });
    await publisher.publish('aman.intake.v1', [message('e-1', stored), message('e-2')]);
    const produced = spans().filter((span) => span.kind === SpanKind.PRODUCER);
    const traced = produced.find((span) => span.attributes['messaging.message.id'] === 'e-1');
    expect(traced?.spanContext().traceId).toBe(traceIdOf(stored));
    expect(traced?.parentSpanContext?.spanId).toBe(spanIdOf(stored));
    expect(traced?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'aman.intake.v1',
      'aman.stream': 'case-1',
    });
    // The consumer continues from the producer span; a record with no trace gets none.
    expect(traceIdOf(sent[0]?.traceparent)).toBe(traceIdOf(stored));
    expect(spanIdOf(sent[0]?.traceparent)).toBe(traced?.spanContext().spanId);
    expect(sent[1]?.traceparent).toBeUndefined();
  });

  it('marks its spans failed when the broker refuses the batch, and throws', async () => {
    const failing: Publisher = {
      publish: async () => {
        throw new Error('broker down');
      },
      close: async () => undefined,
    };
    await expect(
      tracedPublisher(failing).publish('aman.intake.v1', [message('e-3')]),
    ).rejects.toThrow('broker down');
    const span = spans().find((each) => each.attributes['messaging.message.id'] === 'e-3');
    expect(span?.status.code).toBe(2);
    expect(span?.ended).toBe(true);
  });
});
