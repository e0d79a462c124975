import { risk } from '@aman/contracts';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import { caseFactsFromJson, type Assessments } from '../application/assessments.ts';

export const RISK_SERVICE = 'aman.risk.v1.RiskAssessmentService';

/** RiskAssessmentService over gRPC: intake asks for a triage while the NGO waits. */
export function riskServer(deps: {
  readonly assessments: Assessments;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): risk.RiskAssessmentServiceServer {
  return implement<risk.RiskAssessmentServiceServer>(
    RISK_SERVICE,
    {
      assessCase: {
        callers: ['intake'],
        handle: async (request, call) => {
          const facts = risk.CaseFacts.toJSON(request.facts ?? risk.CaseFacts.fromPartial({}));
          const assessed = await deps.assessments.assessOnRequest(
            call.caller.principal,
            request.caseId,
            caseFactsFromJson(facts as Record<string, unknown>),
          );
          return risk.AssessCaseResponse.fromJSON(
            assessed === undefined ? {} : { assessment: assessed },
          );
        },
      },
    },
    deps,
  );
}
