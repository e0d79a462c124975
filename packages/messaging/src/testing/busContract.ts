import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { ValidationError } from '@aman/errors';
import { eventually } from '@aman/testing';

import type { EventCodecs } from '../codecs.ts';
import type { BusMessage, DeadLetterRecord, Subscriber, Subscription } from '../types.ts';

export interface BusHarness {
  readonly subscriber: Subscriber;
  /** A topic of this suite's own. */
  readonly topic: string;
  readonly codecs: EventCodecs;
  /** Produces one probe event per note on `stream`, in order; returns their event ids. */
  produce(stream: string, notes: readonly string[]): Promise<string[]>;
  /** Produces something no consumer can read, followed by nothing. */
  producePoison(stream: string): Promise<void>;
  /** Produces the last event of `stream` again (a relay that crashed before its checkpoint). */
  redeliverLast?(stream: string): Promise<void>;
  deadLetters(group: string): Promise<DeadLetterRecord[]>;
  dispose(): Promise<void>;
}

interface Received {
  readonly message: BusMessage;
  readonly note: string;
  readonly attempt: number;
}

let groupCounter = 0;
function newGroup(label: string): string {
  groupCounter += 1;
  return `g-${label}-${groupCounter}-${Date.now().toString(36)}`;
}

/** The behaviour every Subscriber adapter (Kafka, embedded) must have. */
export function busContract(name: string, makeHarness: () => Promise<BusHarness>): void {
  describe(`Bus contract: ${name}`, () => {
    let h: BusHarness;
    const running: Subscription[] = [];

    beforeAll(async () => {
      h = await makeHarness();
    });

    afterAll(async () => {
      await Promise.all(running.map((subscription) => subscription.stop()));
      await h.dispose();
    });

    async function collect(
      group: string,
      streams: readonly string[],
      handle?: (received: Received) => void,
      options: { maxAttempts?: number } = {},
    ): Promise<{ received: Received[]; subscription: Subscription }> {
      const received: Received[] = [];
      const subscription = await h.subscriber.subscribe({
        group,
        topics: [h.topic],
        maxAttempts: options.maxAttempts ?? 3,
        retryDelayMs: 5,
        handler: (message, context) => {
          if (!streams.includes(message.stream)) return Promise.resolve();
          const decoded = h.codecs.decode(message)['note'];
          const note = typeof decoded === 'string' ? decoded : '';
          const entry = { message, note, attempt: context.attempt };
          handle?.(entry);
          received.push(entry);
          return Promise.resolve();
        },
      });
      running.push(subscription);
      return { received, subscription };
    }

    it('delivers every message to every group, in order per stream, with its attributes', async () => {
      const streams = ['case-a', 'case-b', 'case-c'].map((s) => `${s}-${Date.now().toString(36)}`);
      const ids: string[] = [];
      for (let round = 0; round < 5; round += 1) {
        for (const stream of streams)
          ids.push(...(await h.produce(stream, [`${stream}#${round}`])));
      }
      const first = await collect(newGroup('all1'), streams);
      const second = await collect(newGroup('all2'), streams);
      for (const { received } of [first, second]) {
        await eventually('15 messages', () => received.length >= 15);
        expect(received.map((r) => r.message.id).sort()).toEqual([...ids].sort());
        for (const stream of streams) {
          const ofStream = received.filter((r) => r.message.stream === stream);
          expect(ofStream.map((r) => r.note)).toEqual([0, 1, 2, 3, 4].map((i) => `${stream}#${i}`));
          expect(ofStream.map((r) => r.message.streamVersion)).toEqual([1, 2, 3, 4, 5]);
        }
        const sample = received[0]?.message;
        expect(sample).toMatchObject({
          source: '/aman/test',
          type: 'aman.eventing.v1.PipelineProbe',
          dataContentType: 'application/protobuf',
        });
        expect(sample?.subject).toBe(sample?.stream);
      }
    });

    it('retries a failing handler and applies the message once it succeeds', async () => {
      const stream = `case-retry-${Date.now().toString(36)}`;
      const [id] = await h.produce(stream, ['flaky']);
      const attempts: number[] = [];
      const applied: string[] = [];
      const subscription = await h.subscriber.subscribe({
        group: newGroup('retry'),
        topics: [h.topic],
        maxAttempts: 5,
        retryDelayMs: 5,
        handler: (message, context) => {
          if (message.id !== id) return Promise.resolve();
          attempts.push(context.attempt);
          if (context.attempt < 3) return Promise.reject(new Error('transient'));
          applied.push(message.id);
          return Promise.resolve();
        },
      });
      running.push(subscription);
      await eventually('the third attempt', () => applied.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(attempts).toEqual([1, 2, 3]);
      expect(applied).toEqual([id]);
    });

    it('dead-letters a message that keeps failing and carries on with its stream', async () => {
      const stream = `case-dlq-${Date.now().toString(36)}`;
      const [bad, good] = await h.produce(stream, ['always fails', 'after it']);
      const group = newGroup('dlq');
      const { received } = await collect(
        group,
        [stream],
        (entry) => {
          if (entry.message.id === bad) throw new ValidationError('probe rejected by handler');
        },
        { maxAttempts: 3 },
      );
      await eventually('the message after the failing one', () =>
        received.some((r) => r.message.id === good),
      );
      await eventually('a dead letter', async () => (await h.deadLetters(group)).length === 1);
      const [letter] = await h.deadLetters(group);
      expect(letter).toMatchObject({
        eventId: bad,
        errorCode: 'AMAN_ERR_VALIDATION',
        errorMessage: 'probe rejected by handler',
        attempts: 3,
      });
    });

    it('parks a poison record and keeps the partition moving', async () => {
      const stream = `case-poison-${Date.now().toString(36)}`;
      await h.producePoison(stream);
      const [after] = await h.produce(stream, ['after poison']);
      const group = newGroup('poison');
      const { received } = await collect(group, [stream]);
      await eventually('the record after the poison', () =>
        received.some((r) => r.message.id === after),
      );
      await eventually('a dead letter', async () => (await h.deadLetters(group)).length === 1);
      const [letter] = await h.deadLetters(group);
      expect(letter?.errorCode).toBe('AMAN_ERR_VALIDATION');
      expect(received.filter((r) => r.message.stream === stream)).toHaveLength(1);
    });

    it('resumes a group where it stopped, without redelivering what it processed', async () => {
      const stream = `case-resume-${Date.now().toString(36)}`;
      const group = newGroup('resume');
      const before = await h.produce(stream, ['one', 'two', 'three']);
      const first = await collect(group, [stream]);
      await eventually('three messages', () => first.received.length === 3);
      await first.subscription.stop();
      const later = await h.produce(stream, ['four', 'five']);
      const second = await collect(group, [stream]);
      await eventually('two new messages', () => second.received.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(first.received.map((r) => r.message.id)).toEqual(before);
      expect(second.received.map((r) => r.message.id)).toEqual(later);
    });

    it('delivers a batch larger than one broker request, in order', async () => {
      const stream = `case-large-${Date.now().toString(36)}`;
      // Ten notes of 150 KiB: 1.5 MB in one publish, past Kafka's default 1 MB batch limit.
      const notes = Array.from({ length: 10 }, (_, i) => `${i}:${'x'.repeat(150 * 1024)}`);
      const ids = await h.produce(stream, notes);
      const { received } = await collect(newGroup('large'), [stream]);
      await eventually('ten large messages', () => received.length === 10);
      expect(received.map((r) => r.message.id)).toEqual(ids);
      expect(received.map((r) => r.note.slice(0, 2))).toEqual(notes.map((n) => n.slice(0, 2)));
    });

    it('applies a redelivered message only once', async () => {
      if (h.redeliverLast === undefined) return;
      const stream = `case-dup-${Date.now().toString(36)}`;
      const [only] = await h.produce(stream, ['once']);
      await h.redeliverLast(stream);
      const [next] = await h.produce(stream, ['next']);
      const { received } = await collect(newGroup('dup'), [stream]);
      await eventually('the message after the duplicate', () =>
        received.some((r) => r.message.id === next),
      );
      expect(received.map((r) => r.message.id)).toEqual([only, next]);
    });
  });
}
