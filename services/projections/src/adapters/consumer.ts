import type { Subscription } from '@aman/messaging';
import { ProjectionRunner, type Projection, type ReadModelCollection } from '@aman/projections';
import { SpanKind, inSpan, type ContextName, type Platform } from '@aman/service-kit';

import { ngoCases, providerInbox, statistics } from './readModels.ts';

/** Every context a read model is folded from. */
export const PROJECTED_CONTEXTS: readonly ContextName[] = [
  'intake',
  'risk',
  'referral',
  'accountability',
];

export interface ReadModels {
  /** The NGO case views' collection (the active version's). */
  readonly cases: () => Promise<ReadModelCollection>;
  /** The provider inbox's collection (the active version's). */
  readonly inbox: () => Promise<ReadModelCollection>;
  /** The statistics' facts (the active version's). */
  readonly facts: () => Promise<ReadModelCollection>;
  /** Stops consuming; an event cut short is delivered again on the next start. */
  readonly stop: () => Promise<void>;
}

async function consume(platform: Platform, projection: Projection) {
  const runner = new ProjectionRunner({
    projection,
    store: await platform.readModels(),
    checkpoints: await platform.checkpoints(),
  });
  // Built from the bus, not from the producers' stores (which belong to other services): no
  // sources to rebuild from here, the consumer group starts at the beginning of every topic.
  // `pnpm projections:rebuild` replays the stores into a new version beside the active one.
  await runner.ensureBuilt({});
  const subscription = await platform.subscribe(
    // The version is in the group: a new version gets a new group, which reads every topic from
    // the beginning into the new version's (empty) collections.
    `${projection.name.replaceAll('_', '-')}-v${projection.version}`,
    PROJECTED_CONTEXTS,
    (event) =>
      inSpan(
        `project ${projection.name}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'aman.projection': projection.name,
            'db.system.name': platform.mode === 'embedded' ? 'sqlite' : 'mongodb',
            'aman.stream': event.stream,
            'aman.event.type': event.type,
          },
        },
        () =>
          runner.apply([
            {
              id: event.id,
              source: event.source,
              stream: event.stream,
              version: event.version,
              type: event.type,
              data: event.data,
              occurredAt: event.occurredAt,
            },
          ]),
      ),
  );
  return { runner, subscription };
}

/**
 * Folds the events of every context into the NGO case views, the provider inboxes and the
 * statistics' facts, each projection as a consumer group of its own. The runner's per-stream version guard makes a
 * redelivered event change nothing.
 */
export async function consumeIntoReadModels(platform: Platform): Promise<ReadModels> {
  const cases = await consume(platform, ngoCases);
  const inbox = await consume(platform, providerInbox);
  const facts = await consume(platform, statistics);
  const subscriptions: Subscription[] = [
    cases.subscription,
    inbox.subscription,
    facts.subscription,
  ];
  return {
    cases: () => cases.runner.reader('cases'),
    inbox: () => inbox.runner.reader('inbox'),
    facts: () => facts.runner.reader('facts'),
    stop: async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    },
  };
}
