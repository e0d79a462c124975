import { accountability } from '@aman/contracts';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { Incidents } from '../application/incidents.ts';
import type { Act, PerpetratorCategory, SourceType } from '../domain/index.ts';

export const ACCOUNTABILITY_SERVICE = 'aman.accountability.v1.AccountabilityService';

/** AccountabilityService over gRPC: the gateway records incidents for monitors. */
export function accountabilityServer(deps: {
  readonly incidents: Incidents;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): accountability.AccountabilityServiceServer {
  return implement<accountability.AccountabilityServiceServer>(
    ACCOUNTABILITY_SERVICE,
    {
      recordIncident: {
        callers: ['gateway'],
        handle: async (request, call) => {
          // Enum names as the domain states them; the decider refuses UNSPECIFIED and unknowns.
          const recorded = await deps.incidents.record(call.caller.principal, {
            idempotencyKey: request.idempotencyKey,
            caseId: request.caseId,
            act: accountability.actToJSON(request.act) as Act,
            occurredOn: request.occurredOn,
            province: request.province,
            perpetratorCategory: accountability.perpetratorCategoryToJSON(
              request.perpetratorCategory,
            ) as PerpetratorCategory,
            sourceType: accountability.sourceTypeToJSON(request.sourceType) as SourceType,
          });
          return { incidentId: recorded.incidentId };
        },
      },
    },
    deps,
  );
}
