import { common, intake, risk } from '@aman/contracts';
import { NotFoundError, ValidationError } from '@aman/errors';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { AccessLog, ReportedAccess } from '../application/accessLog.ts';
import type { CaseView, Identity, IntakeCases } from '../application/intakeCases.ts';
import type {
  CaseFacts,
  CaseFactsData,
  Consent,
  DuplicateResponse,
  RecipientType,
  ThreatFact,
  WithdrawalReason,
} from '../domain/index.ts';

export const INTAKE_SERVICE = 'aman.intake.v1.IntakeService';

/*
 * Requests arrive as protobuf; the domain states values in their protobuf JSON vocabulary. Each
 * request is converted with the message's own toJSON, so enum values are their names, and a value
 * the domain does not know (UNSPECIFIED, UNRECOGNIZED) is refused there as a ValidationError.
 */

type FactsJson = {
  profile?: string;
  gender?: string;
  province?: string;
  outsideCapital?: boolean;
  familyExposed?: boolean;
  needs?: string[];
  vulnerabilities?: { minority?: boolean; disability?: boolean; publicVisibility?: boolean };
  capacities?: { supportNetwork?: boolean; relocationOptions?: boolean; digitalSecurity?: boolean };
};
type ThreatJson = {
  kind?: string;
  occurredOn?: string;
  source?: string;
  objective?: string;
  feasibility?: string;
  declared?: boolean;
};
type ConsentJson = {
  grants?: { recipientTypes?: string[]; fieldGroups?: string[]; providerIds?: string[] }[];
  method?: string;
  obtainedAt?: string;
};

function factsDataOf(json: FactsJson): CaseFactsData {
  return {
    profile: (json.profile ?? 'PROFILE_UNSPECIFIED') as CaseFactsData['profile'],
    gender: (json.gender ?? 'GENDER_UNSPECIFIED') as CaseFactsData['gender'],
    province: json.province ?? '',
    outsideCapital: json.outsideCapital ?? false,
    familyExposed: json.familyExposed ?? false,
    needs: (json.needs ?? []) as CaseFactsData['needs'],
    vulnerabilities: {
      minority: json.vulnerabilities?.minority ?? false,
      disability: json.vulnerabilities?.disability ?? false,
      publicVisibility: json.vulnerabilities?.publicVisibility ?? false,
    },
    capacities: {
      supportNetwork: json.capacities?.supportNetwork ?? false,
      relocationOptions: json.capacities?.relocationOptions ?? false,
      digitalSecurity: json.capacities?.digitalSecurity ?? false,
    },
  };
}

function threatOf(json: ThreatJson | undefined): ThreatFact {
  return {
    kind: (json?.kind ?? 'THREAT_KIND_UNSPECIFIED') as ThreatFact['kind'],
    occurredOn: json?.occurredOn ?? '',
    source: (json?.source ?? 'THREAT_SOURCE_UNSPECIFIED') as ThreatFact['source'],
    objective: (json?.objective ?? 'THREAT_OBJECTIVE_UNSPECIFIED') as ThreatFact['objective'],
    feasibility: (json?.feasibility ?? 'FEASIBILITY_UNSPECIFIED') as ThreatFact['feasibility'],
    declared: json?.declared ?? false,
  };
}

function consentOf(json: ConsentJson | undefined): Consent {
  if (json === undefined) throw new ValidationError('consent is required');
  return {
    grants: (json.grants ?? []).map((grant) => ({
      recipientTypes: (grant.recipientTypes ?? []) as Consent['grants'][number]['recipientTypes'],
      fieldGroups: (grant.fieldGroups ?? []) as Consent['grants'][number]['fieldGroups'],
      providerIds: grant.providerIds ?? [],
    })),
    method: (json.method ?? 'CONSENT_METHOD_UNSPECIFIED') as Consent['method'],
    obtainedAt: json.obtainedAt ?? '',
  };
}

function identityOf(defender: intake.Defender | undefined): Identity {
  return {
    fullName: defender?.fullName ?? '',
    phone: defender?.phone ?? '',
    place: defender?.place ?? '',
    dateOfBirth: defender?.dateOfBirth ?? '',
  };
}

/** The facts risk assessment needs: no names, no narratives, no place. */
export function riskFactsOf(facts: CaseFacts): risk.CaseFacts {
  return risk.CaseFacts.fromJSON({
    profile: facts.profile,
    gender: facts.gender,
    outsideCapital: facts.outsideCapital,
    familyExposed: facts.familyExposed,
    threats: facts.threats,
    vulnerabilities: facts.vulnerabilities,
    capacities: facts.capacities,
  });
}

function caseViewOf(view: CaseView): intake.CaseView {
  const { state } = view;
  return intake.CaseView.fromJSON({
    caseId: state.caseId,
    status: `CASE_STATUS_${state.status.toUpperCase()}`,
    ...(view.identity === undefined ? {} : { defender: view.identity }),
    profile: state.facts.profile,
    gender: state.facts.gender,
    province: state.facts.province,
    outsideCapital: state.facts.outsideCapital,
    familyExposed: state.facts.familyExposed,
    threats: state.facts.threats,
    threatNarratives: view.threatNarratives ?? [],
    needs: state.facts.needs,
    consent: state.consent,
    vulnerabilities: state.facts.vulnerabilities,
    capacities: state.facts.capacities,
    submittedAt: state.submittedAt,
    duplicates: view.duplicates.map((match) => ({
      matchId: match.matchId,
      status: match.status,
      detectedAt: match.detectedAt,
      ...(match.linkedCaseId === undefined ? {} : { linkedCaseId: match.linkedCaseId }),
    })),
    version: view.version,
  });
}

function accessMessageOf(access: ReportedAccess): intake.Access {
  return intake.Access.fromJSON({
    ...access,
    kind: `ACCESS_KIND_${access.kind.toUpperCase()}`,
    outcome: `ACCESS_OUTCOME_${access.outcome.toUpperCase()}`,
  });
}

/**
 * IntakeService over gRPC: the gateway acts for NGOs, only referral fetches packets, only the
 * admin CLI reports accesses.
 */
export function intakeServer(deps: {
  readonly cases: IntakeCases;
  readonly access: Pick<AccessLog, 'report'>;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): intake.IntakeServiceServer {
  const { cases, access } = deps;
  return implement<intake.IntakeServiceServer>(
    INTAKE_SERVICE,
    {
      submitCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const json = intake.SubmitCaseRequest.toJSON(request) as FactsJson & {
            threats?: { fact?: ThreatJson }[];
            consent?: ConsentJson;
          };
          const facts: CaseFacts = {
            ...factsDataOf(json),
            threats: (json.threats ?? []).map((threat) => threatOf(threat.fact)),
          };
          const submitted = await cases.submit(
            call.caller.principal,
            request.idempotencyKey,
            facts,
            consentOf(json.consent),
            {
              ...identityOf(request.defender),
              threatNarratives: request.threats.map((threat) => threat.narrative),
            },
          );
          return intake.SubmitCaseResponse.fromJSON({
            caseId: submitted.caseId,
            triageStatus:
              submitted.riskLevel === undefined
                ? 'TRIAGE_STATUS_PENDING'
                : 'TRIAGE_STATUS_ASSESSED',
            riskLevel: submitted.riskLevel ?? 'RISK_LEVEL_UNSPECIFIED',
          });
        },
      },
      getCase: {
        callers: ['gateway'],
        handle: async (request, call) => ({
          case: caseViewOf(await cases.get(call.caller.principal, request.caseId)),
        }),
      },
      updateCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const json = intake.UpdateCaseRequest.toJSON(request) as FactsJson;
          const version = await cases.update(
            call.caller.principal,
            request.caseId,
            request.expectedVersion,
            factsDataOf(json),
            request.defender === undefined ? undefined : identityOf(request.defender),
          );
          return { version };
        },
      },
      updateConsent: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const json = intake.UpdateConsentRequest.toJSON(request) as { consent?: ConsentJson };
          const narrowed = await cases.updateConsent(
            call.caller.principal,
            request.caseId,
            consentOf(json.consent),
          );
          return { narrowed };
        },
      },
      reportThreat: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const json = intake.ReportThreatRequest.toJSON(request) as {
            threat?: { fact?: ThreatJson };
          };
          const version = await cases.reportThreat(
            call.caller.principal,
            request.caseId,
            request.idempotencyKey,
            threatOf(json.threat?.fact),
            request.threat?.narrative ?? '',
          );
          return { version };
        },
      },
      withdrawCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const reason = intake.withdrawalReasonToJSON(request.reason) as WithdrawalReason;
          await cases.withdraw(call.caller.principal, request.caseId, reason);
          return {};
        },
      },
      eraseCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          await cases.erase(call.caller.principal, request.caseId);
          return {};
        },
      },
      respondToDuplicate: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const status = await cases.respondToDuplicate(
            call.caller.principal,
            request.caseId,
            request.matchId,
            intake.duplicateResponseToJSON(request.response) as DuplicateResponse,
          );
          return intake.RespondToDuplicateResponse.fromJSON({ status });
        },
      },
      getReferralPacket: {
        callers: ['referral'],
        handle: async (request, call) => {
          const recipientType = common.recipientTypeToJSON(request.recipientType);
          if (
            request.recipientType === common.RecipientType.RECIPIENT_TYPE_UNSPECIFIED ||
            request.recipientType === common.RecipientType.UNRECOGNIZED
          ) {
            throw new NotFoundError('no such packet');
          }
          const packet = await cases.releasePacket(call.caller.principal, {
            caseId: request.caseId,
            referralId: request.referralId,
            recipientType: recipientType as RecipientType,
          });
          return {
            packet: intake.ReferralPacket.fromJSON({
              caseId: packet.caseId,
              referralId: request.referralId,
              fieldGroups: packet.fieldGroups,
              profile: packet.profile,
              province: packet.province,
              threatNarratives: packet.threatNarratives,
              needs: packet.needs,
              ...(packet.fullName === undefined ? {} : { fullName: packet.fullName }),
              ...(packet.phone === undefined ? {} : { phone: packet.phone }),
              ...(packet.place === undefined ? {} : { place: packet.place }),
              ...(packet.familyExposed === undefined
                ? {}
                : { familyExposed: packet.familyExposed }),
            }),
          };
        },
      },
      reportAccess: {
        callers: ['admin'],
        handle: async (request, call) => {
          const by =
            request.keyId !== undefined
              ? { keyId: request.keyId }
              : request.organisationId !== undefined
                ? { organisationId: request.organisationId }
                : undefined;
          if (by === undefined) throw new ValidationError('key_id or organisation_id is required');
          const report = await access.report(call.caller.principal, {
            by,
            since: request.since?.toISOString(),
            until: request.until?.toISOString(),
            pageSize: request.pageSize,
            pageToken: request.pageToken,
          });
          return {
            accesses: report.accesses.map(accessMessageOf),
            nextPageToken: report.nextPageToken ?? '',
          };
        },
      },
    },
    deps,
  );
}
