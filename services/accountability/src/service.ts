import { accountability } from '@aman/contracts';
import type { Logger, Platform, ServiceIdentity, StartedService } from '@aman/service-kit';

import {
  ACCOUNTABILITY_SERVICE,
  MONITORING_SERVICE,
  accountabilityServer,
  monitoringServer,
} from './adapters/grpcServer.ts';
import { Incidents } from './application/incidents.ts';
import { Interventions } from './application/interventions.ts';
import { Investigations } from './application/investigations.ts';
import { MonitorView } from './application/monitorView.ts';
import type { ResponsePolicy } from './domain/index.ts';

/**
 * Accountability wired: its store published on aman.accountability.v1 (IncidentRecorded only),
 * the monitor's read models folded from the same store, and both gRPC services.
 */
export async function startAccountability(deps: {
  readonly platform: Platform;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
  readonly responsePolicy: ResponsePolicy;
}): Promise<StartedService> {
  const { platform, identity, logger } = deps;
  const store = await platform.eventStore();
  await platform.publish('accountability', store);
  const incidents = new Incidents(store);
  const investigations = new Investigations(store, incidents);
  const interventions = new Interventions(store, incidents, deps.responsePolicy);
  const view = await MonitorView.open({
    store,
    readModels: await platform.readModels(),
    checkpoints: await platform.checkpoints(),
  });
  return {
    grpc: [
      {
        name: ACCOUNTABILITY_SERVICE,
        definition: accountability.AccountabilityServiceService,
        implementation: accountabilityServer({ incidents, identity, logger }),
      },
      {
        name: MONITORING_SERVICE,
        definition: accountability.MonitoringServiceService,
        implementation: monitoringServer({
          incidents,
          investigations,
          interventions,
          view,
          identity,
          logger,
        }),
      },
    ],
  };
}
