import { projections } from '@aman/contracts';
import { env, runService } from '@aman/service-kit';

import { consumeIntoReadModels } from './adapters/consumer.ts';
import { PROJECTIONS_SERVICE, projectionsServer } from './adapters/grpcServer.ts';

await runService(
  'projections',
  async (kit, config) => {
    const readModels = await consumeIntoReadModels(kit.platform);
    return {
      grpc: [
        {
          name: PROJECTIONS_SERVICE,
          definition: projections.ProjectionsServiceService,
          implementation: projectionsServer({
            cases: readModels.cases,
            inbox: readModels.inbox,
            facts: readModels.facts,
            minCell: config.statsMinCell,
            identity: kit.identity,
            logger: kit.logger,
          }),
        },
      ],
      // Consumers first, so no event is half applied when the stores close.
      stop: () => readModels.stop(),
    };
  },
  {
    statsMinCell: env.integer(
      'AMAN_STATS_MIN_CELL',
      'smallest count the public statistics publish (k of small-cell suppression)',
      5,
      2,
    ),
  },
);
