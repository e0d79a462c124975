import { accountability, common } from '@aman/contracts';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { Incidents } from '../application/incidents.ts';
import type { Interventions } from '../application/interventions.ts';
import type { Investigations } from '../application/investigations.ts';
import { MAX_OVERDUE, type MonitorView } from '../application/monitorView.ts';
import type {
  Compensation,
  Impact,
  IncidentAct,
  IncidentSource,
  InvestigationStatus,
  SourceReliability,
  VerificationStatus,
} from '../domain/index.ts';

export const ACCOUNTABILITY_SERVICE = 'aman.accountability.v1.AccountabilityService';
export const MONITORING_SERVICE = 'aman.accountability.v1.MonitoringService';

/*
 * Enum names as the domain states them: the deciders refuse UNSPECIFIED and unknown values, and
 * a field left unset reaches them as '' so the refusal names the field.
 */
// Typed as any vocabulary: the decider is what checks it.
const name = (value: string): never => value as never;
const unset = (value: string) => value.endsWith('_UNSPECIFIED') || value === 'UNRECOGNIZED';
const orDefault = <T extends string>(value: string, fallback: T): T =>
  unset(value) ? fallback : name(value);
const isoOf = (value: Date | undefined): string =>
  value === undefined || Number.isNaN(value.getTime()) ? '' : value.toISOString();

function actsOf(request: accountability.RecordIncidentRequest): IncidentAct[] {
  if (request.acts.length === 0) {
    // The short form: one act against one case.
    return [
      {
        act: name(accountability.actToJSON(request.act)),
        victim: { caseId: request.caseId },
        perpetratorCategory: name(
          accountability.perpetratorCategoryToJSON(request.perpetratorCategory),
        ),
      },
    ];
  }
  if (
    request.caseId !== '' ||
    request.act !== accountability.Act.ACT_UNSPECIFIED ||
    request.perpetratorCategory !==
      accountability.PerpetratorCategory.PERPETRATOR_CATEGORY_UNSPECIFIED
  ) {
    // Said twice, it could be said two ways: the decider names the field.
    return [{ act: name(''), victim: { caseId: '' }, perpetratorCategory: name('') }];
  }
  return request.acts.map((given) => ({
    act: name(accountability.actToJSON(given.act)),
    victim:
      given.victim?.anonymous !== undefined
        ? {
            anonymous: {
              profile: name(common.profileToJSON(given.victim.anonymous.profile)),
              gender: name(common.genderToJSON(given.victim.anonymous.gender)),
              province: given.victim.anonymous.province,
            },
          }
        : { caseId: given.victim?.caseId ?? '' },
    perpetratorCategory: name(accountability.perpetratorCategoryToJSON(given.perpetratorCategory)),
  }));
}

function sourcesOf(request: accountability.RecordIncidentRequest): IncidentSource[] {
  const reliability = (value: accountability.SourceReliability) =>
    orDefault<SourceReliability>(
      accountability.sourceReliabilityToJSON(value),
      'SOURCE_RELIABILITY_UNKNOWN',
    );
  if (request.sources.length === 0) {
    return [
      {
        type: name(accountability.sourceTypeToJSON(request.sourceType)),
        reliability: reliability(request.sourceReliability),
      },
    ];
  }
  if (request.sourceType !== accountability.SourceType.SOURCE_TYPE_UNSPECIFIED)
    return [{ type: name(''), reliability: name('') }];
  return request.sources.map((source) => ({
    type: name(accountability.sourceTypeToJSON(source.type)),
    reliability: reliability(source.reliability),
  }));
}

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
          const recorded = await deps.incidents.record(call.caller.principal, {
            idempotencyKey: request.idempotencyKey,
            occurredOn: request.occurredOn,
            province: request.province,
            acts: actsOf(request),
            sources: sourcesOf(request),
            verificationStatus: orDefault<VerificationStatus>(
              accountability.verificationStatusToJSON(request.verificationStatus),
              'VERIFICATION_STATUS_UNVERIFIED',
            ),
          });
          return { incidentId: recorded.incidentId };
        },
      },
    },
    deps,
  );
}

/** MonitoringService over gRPC: the gateway records and asks on behalf of monitors. */
export function monitoringServer(deps: {
  readonly incidents: Incidents;
  readonly investigations: Investigations;
  readonly interventions: Interventions;
  readonly view: MonitorView;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): accountability.MonitoringServiceServer {
  return implement<accountability.MonitoringServiceServer>(
    MONITORING_SERVICE,
    {
      setIncidentVerification: {
        callers: ['gateway'],
        handle: async (request, call) => {
          await deps.incidents.setVerification(
            call.caller.principal,
            request.incidentId,
            name(accountability.verificationStatusToJSON(request.verificationStatus)),
          );
          return {};
        },
      },
      openInvestigation: {
        callers: ['gateway'],
        handle: (request, call) =>
          deps.investigations.open(call.caller.principal, {
            idempotencyKey: request.idempotencyKey,
            incidentId: request.incidentId,
            body: name(accountability.authorityToJSON(request.body)),
            openedOn: request.openedOn,
          }),
      },
      recordInvestigationStep: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const outcome = accountability.investigationOutcomeToJSON(request.outcome);
          const { status } = await deps.investigations.recordStep(call.caller.principal, {
            investigationId: request.investigationId,
            step: name(accountability.investigationStepToJSON(request.step)),
            on: request.on,
            outcome: unset(outcome) ? undefined : name(outcome),
          });
          return {
            status: accountability.investigationStatusFromJSON(
              status satisfies InvestigationStatus,
            ),
          };
        },
      },
      recordIntervention: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const recorded = await deps.interventions.record(call.caller.principal, {
            idempotencyKey: request.idempotencyKey,
            incidentId: request.incidentId,
            type: name(accountability.interventionTypeToJSON(request.type)),
            addressee: name(accountability.authorityToJSON(request.addressee)),
            sentAt: isoOf(request.sentAt),
          });
          return { interventionId: recorded.interventionId, dueBy: new Date(recorded.dueBy) };
        },
      },
      recordAuthorityResponse: {
        callers: ['gateway'],
        handle: (request, call) =>
          deps.interventions.respond(call.caller.principal, {
            interventionId: request.interventionId,
            response: name(accountability.authorityResponseToJSON(request.response)),
            respondedAt: isoOf(request.respondedAt),
            impact: orDefault<Impact>(
              accountability.impactToJSON(request.impact),
              'IMPACT_UNKNOWN',
            ),
            compensation: orDefault<Compensation>(
              accountability.compensationToJSON(request.compensation),
              'COMPENSATION_UNKNOWN',
            ),
          }),
      },
      setInterventionStatus: {
        callers: ['gateway'],
        handle: async (request, call) => {
          await deps.interventions.setStatus(
            call.caller.principal,
            request.interventionId,
            name(accountability.interventionStatusToJSON(request.status)),
          );
          return {};
        },
      },
      listOverdueInterventions: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const limit = request.limit <= 0 ? 100 : Math.min(request.limit, MAX_OVERDUE);
          const listed = await deps.view.overdue(call.caller.principal, {
            now: new Date().toISOString(),
            limit,
          });
          return {
            interventions: listed.map((intervention) => ({
              interventionId: intervention.interventionId,
              incidentId: intervention.incidentId,
              type: accountability.interventionTypeFromJSON(intervention.type),
              addressee: accountability.authorityFromJSON(intervention.addressee),
              sentAt: new Date(intervention.sentAt),
              dueBy: new Date(intervention.dueBy),
              daysOverdue: intervention.daysOverdue,
            })),
          };
        },
      },
      getImpunityFigures: {
        callers: ['gateway'],
        handle: (request, call) =>
          deps.view.impunity(call.caller.principal, { from: request.from, to: request.to }),
      },
    },
    deps,
  );
}
