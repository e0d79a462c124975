import type { EventStore } from '@aman/eventstore';

import { SpanKind, inSpan } from './telemetry.ts';

/** The store with a client span around every append (db semantic conventions, no data). */
export function tracedEventStore(store: EventStore, system: 'sqlite' | 'mongodb'): EventStore {
  return {
    append: (stream, events, options) =>
      inSpan(
        'eventstore.append',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': system,
            'db.operation.name': 'append',
            'aman.stream': stream,
            'aman.event.count': events.length,
            'aman.event.types': [...new Set(events.map((event) => event.type))].join(','),
          },
        },
        () => store.append(stream, events, options),
      ),
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: (options) => store.readAll(options),
    streamVersion: (stream) => store.streamVersion(stream),
    headPosition: () => store.headPosition(),
    streamHeads: (upTo) => store.streamHeads(upTo),
    verify: (stream) => store.verify(stream),
    verifyLog: () => store.verifyLog(),
    close: () => store.close(),
  };
}
