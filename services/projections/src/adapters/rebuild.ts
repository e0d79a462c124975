import type { EventStore } from '@aman/eventstore';
import { ProjectionRunner, type EventSource, type RebuildProgress } from '@aman/projections';
import {
  CONTEXTS,
  Platform,
  codecsOf,
  type ContextName,
  type Logger,
  type PlatformConfig,
} from '@aman/service-kit';

import { PROJECTED_CONTEXTS } from './consumer.ts';
import { PROJECTIONS } from './readModels.ts';

/**
 * A producer's store as its consumers see it off the bus: the event types that leave the context,
 * with their data passed through their protobuf messages (whatever else the stored form holds
 * stays behind). Events that never leave it keep their position, typed '' so no projection reads
 * them: a page of only such events must not look like the end of the log.
 */
export function publishedEvents(context: ContextName, store: EventStore): EventSource {
  const codecs = codecsOf(context);
  return {
    headPosition: () => store.headPosition(),
    readAll: async (options) =>
      (await store.readAll(options)).map((event) => {
        if (!codecs.publishes(event.type)) return { ...event, type: '', data: {} };
        try {
          return { ...event, data: codecs.decode(codecs.toBusMessage(event)) };
        } catch {
          // The relay parks what it cannot publish: no consumer ever sees it.
          return { ...event, type: '', data: {} };
        }
      }),
  };
}

export interface RebuildReport {
  readonly projection: string;
  readonly version: number;
  readonly applied: number;
  readonly seconds: number;
}

/**
 * Replays every producer's store into a new version of each read model, beside the active one,
 * and switches readers and the running service's live events to it when it has caught up.
 * `progress` hears after every page: the projection, the source, events applied of its head.
 */
export async function rebuildReadModels(
  config: PlatformConfig,
  logger: Logger,
  progress: (projection: string, step: RebuildProgress) => void,
): Promise<RebuildReport[]> {
  const platforms: Platform[] = [];
  const open = (service: string) => {
    const platform = new Platform(config, service, logger);
    platforms.push(platform);
    return platform;
  };
  try {
    // Each producer's store opened as its own service opens it (same file, same database).
    const sources: Record<string, EventSource> = {};
    for (const context of PROJECTED_CONTEXTS) {
      const store = await open(CONTEXTS[context].service).eventStore();
      sources[CONTEXTS[context].source] = publishedEvents(context, store);
    }
    const own = open('projections');
    const store = await own.readModels();
    const checkpoints = await own.checkpoints();
    const reports: RebuildReport[] = [];
    for (const projection of PROJECTIONS) {
      const runner = new ProjectionRunner({ projection, store, checkpoints });
      const started = performance.now();
      // Each source is read twice (before the switch, then what it gained meanwhile), each pass
      // counting from zero.
      const lastStep = new Map<string, number>();
      let applied = 0;
      const version = await runner.rebuild(sources, {
        onProgress: (step) => {
          const before = lastStep.get(step.source) ?? 0;
          applied += step.applied >= before ? step.applied - before : step.applied;
          lastStep.set(step.source, step.applied);
          progress(projection.name, step);
        },
      });
      reports.push({
        projection: projection.name,
        version,
        applied,
        seconds: (performance.now() - started) / 1000,
      });
    }
    return reports;
  } finally {
    for (const platform of platforms.reverse()) await platform.close();
  }
}
