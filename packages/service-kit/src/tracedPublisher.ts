import { SpanStatusCode, context, trace } from '@opentelemetry/api';

import type { BusMessage, Publisher } from '@aman/messaging';

import { recordPublish } from './metrics.ts';
import { SpanKind, contextFromTraceparent, currentTraceparent, tracer } from './telemetry.ts';

/**
 * The relay's publisher with a producer span per record, in the trace of the request that caused
 * the event, and the record's traceparent pointing at that span: in the distributed mode a
 * journey reads HTTP → gRPC → append → publish → consume, each the child of the one before. The
 * batch's broker acknowledgement time and each record's delay since it occurred are metrics.
 */
export function tracedPublisher(publisher: Publisher): Publisher {
  return {
    publish: async (topic, messages) => {
      const started = performance.now();
      const spans = messages.map((message) =>
        tracer.startSpan(
          `publish ${message.type}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'send',
              'messaging.destination.name': topic,
              'messaging.message.id': message.id,
              'aman.stream': message.stream,
            },
          },
          contextFromTraceparent(message.traceparent),
        ),
      );
      const sent: BusMessage[] = messages.map((message, index) => {
        const span = spans[index];
        const traceparent =
          span === undefined
            ? undefined
            : currentTraceparent(trace.setSpan(context.active(), span));
        return traceparent === undefined || message.traceparent === undefined
          ? message
          : { ...message, traceparent };
      });
      try {
        await publisher.publish(topic, sent);
      } catch (error) {
        for (const span of spans) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'publish failed' });
          span.end();
        }
        throw error;
      }
      const now = Date.now();
      recordPublish(
        topic,
        performance.now() - started,
        messages.map((message) => now - Date.parse(message.time)),
      );
      for (const span of spans) span.end();
    },
    close: () => publisher.close(),
  };
}
