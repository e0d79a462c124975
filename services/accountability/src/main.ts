import { accountability } from '@aman/contracts';
import { runService } from '@aman/service-kit';

import { ACCOUNTABILITY_SERVICE, accountabilityServer } from './adapters/grpcServer.ts';
import { Incidents } from './application/incidents.ts';

await runService('accountability', async (kit) => {
  const store = await kit.platform.eventStore();
  await kit.platform.publish('accountability', store);
  const incidents = new Incidents(store);
  return {
    grpc: [
      {
        name: ACCOUNTABILITY_SERVICE,
        definition: accountability.AccountabilityServiceService,
        implementation: accountabilityServer({
          incidents,
          identity: kit.identity,
          logger: kit.logger,
        }),
      },
    ],
  };
});
