import { projections } from '@aman/contracts';
import { ProjectionRunner, type Projection } from '@aman/projections';
import { runService } from '@aman/service-kit';

import { PROJECTIONS_SERVICE, projectionsServer } from './adapters/grpcServer.ts';
import { ngoCases, providerInbox } from './adapters/readModels.ts';

await runService('projections', async (kit) => {
  const store = await kit.platform.readModels();
  const checkpoints = await kit.platform.checkpoints();
  const runners = new Map<Projection, ProjectionRunner>();
  for (const projection of [ngoCases, providerInbox]) {
    const runner = new ProjectionRunner({ projection, store, checkpoints });
    // Built from the bus: consumer groups start at the beginning of every topic.
    await runner.ensureBuilt({});
    runners.set(projection, runner);
    await kit.platform.subscribe(
      projection.name,
      ['intake', 'risk', 'referral', 'accountability'],
      (event) =>
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
    );
  }
  const reader = (projection: Projection, collection: string) => () => {
    const runner = runners.get(projection);
    if (runner === undefined) throw new Error(`no runner for ${projection.name}`);
    return runner.reader(collection);
  };
  return {
    grpc: [
      {
        name: PROJECTIONS_SERVICE,
        definition: projections.ProjectionsServiceService,
        implementation: projectionsServer({
          cases: reader(ngoCases, 'cases'),
          inbox: reader(providerInbox, 'inbox'),
          identity: kit.identity,
          logger: kit.logger,
        }),
      },
    ],
  };
});
