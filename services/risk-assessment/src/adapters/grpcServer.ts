import { common, risk } from '@aman/contracts';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import { caseFactsFromJson, type Assessments } from '../application/assessments.ts';
import type { AssessmentHistory, RiskAssessedData, StopReason } from '../domain/index.ts';

export const RISK_SERVICE = 'aman.risk.v1.RiskAssessmentService';

/**
 * RiskAssessmentService over gRPC: intake asks for a triage while the NGO waits; the gateway
 * overrides and reads the history for the case's NGO.
 */
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
          return risk.AssessCaseResponse.fromPartial(
            assessed === undefined ? {} : { assessment: assessmentOf(assessed) },
          );
        },
      },
      overrideAssessment: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const assessed = await deps.assessments.override(call.caller.principal, {
            caseId: request.caseId,
            level: common.riskLevelToJSON(request.level) as RiskAssessedData['level'],
            justification: request.justification,
            idempotencyKey: request.idempotencyKey,
            expectedSequence: request.expectedSequence,
          });
          return risk.OverrideAssessmentResponse.fromPartial({
            assessment: assessmentOf(assessed),
          });
        },
      },
      getAssessmentHistory: {
        callers: ['gateway'],
        handle: async (request, call) =>
          historyMessage(await deps.assessments.history(call.caller.principal, request.caseId)),
      },
    },
    deps,
  );
}

/** An assessment as the API shows it: the event without the organisation. */
function assessmentOf(data: RiskAssessedData): risk.Assessment {
  return risk.Assessment.fromJSON({
    caseId: data.caseId,
    level: data.level,
    score: data.score,
    factors: data.factors,
    methodologyVersion: data.methodologyVersion,
    deadlineClass: data.deadlineClass,
    assessedAt: data.assessedAt,
    trigger: data.trigger,
    sequence: data.sequence,
    nextReassessmentAt: data.nextReassessmentAt,
    acknowledgeWithinSeconds: data.acknowledgeWithinSeconds,
    decideWithinSeconds: data.decideWithinSeconds,
    overridden: data.overridden,
    computedLevel: data.computedLevel,
  });
}

const STATUS: Record<StopReason, risk.ReassessmentStatus> = {
  CASE_WITHDRAWN: risk.ReassessmentStatus.REASSESSMENT_STATUS_STOPPED_CASE_WITHDRAWN,
  CASE_ERASED: risk.ReassessmentStatus.REASSESSMENT_STATUS_STOPPED_CASE_ERASED,
};

function historyMessage(history: AssessmentHistory): risk.GetAssessmentHistoryResponse {
  return risk.GetAssessmentHistoryResponse.fromPartial({
    entries: history.entries.map(({ assessment, override }) => ({
      assessment: assessmentOf(assessment),
      ...(override === undefined
        ? {}
        : {
            override: risk.Override.fromJSON({
              level: override.level,
              computedLevel: override.computedLevel,
              justification: override.justification,
              justificationWithheld: override.justificationWithheld,
              organisationId: override.overriddenBy.organisationId,
              principalId: override.overriddenBy.principalId,
              overriddenAt: override.overriddenAt,
            }),
          }),
    })),
    status:
      history.stopped === undefined
        ? risk.ReassessmentStatus.REASSESSMENT_STATUS_ACTIVE
        : STATUS[history.stopped],
  });
}
