import { intake, risk } from '@aman/contracts';
import { NotFoundError } from '@aman/errors';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { IntakeCases } from '../application/intakeCases.ts';
import type { CaseFacts, RecipientType } from '../domain/index.ts';

export const INTAKE_SERVICE = 'aman.intake.v1.IntakeService';

/** The submission's facts as the domain states them: the protobuf JSON vocabulary. */
function factsOf(request: intake.SubmitCaseRequest): CaseFacts {
  const json = intake.SubmitCaseRequest.toJSON(request) as {
    profile?: string;
    gender?: string;
    province?: string;
    outsideCapital?: boolean;
    familyExposed?: boolean;
    threats?: { fact?: { kind?: string; occurredOn?: string; byArmedOrStateActor?: boolean } }[];
    needs?: string[];
    consent?: { grants?: { recipientTypes?: string[]; fieldGroups?: string[] }[] };
  };
  return {
    profile: (json.profile ?? 'PROFILE_UNSPECIFIED') as CaseFacts['profile'],
    gender: (json.gender ?? 'GENDER_UNSPECIFIED') as CaseFacts['gender'],
    province: json.province ?? '',
    outsideCapital: json.outsideCapital ?? false,
    familyExposed: json.familyExposed ?? false,
    threats: (json.threats ?? []).map((threat) => ({
      kind: (threat.fact?.kind ??
        'THREAT_KIND_UNSPECIFIED') as CaseFacts['threats'][number]['kind'],
      occurredOn: threat.fact?.occurredOn ?? '',
      byArmedOrStateActor: threat.fact?.byArmedOrStateActor ?? false,
    })),
    needs: (json.needs ?? []) as CaseFacts['needs'],
    consent: (json.consent?.grants ?? []).map((grant) => ({
      recipientTypes: (grant.recipientTypes ??
        []) as CaseFacts['consent'][number]['recipientTypes'],
      fieldGroups: (grant.fieldGroups ?? []) as CaseFacts['consent'][number]['fieldGroups'],
    })),
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
  });
}

/** IntakeService over gRPC: the gateway submits, only referral fetches packets. */
export function intakeServer(deps: {
  readonly cases: IntakeCases;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): intake.IntakeServiceServer {
  return implement<intake.IntakeServiceServer>(
    INTAKE_SERVICE,
    {
      submitCase: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const defender = request.defender;
          const submitted = await deps.cases.submit(
            call.caller.principal,
            request.idempotencyKey,
            factsOf(request),
            {
              fullName: defender?.fullName ?? '',
              phone: defender?.phone ?? '',
              place: defender?.place ?? '',
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
      getReferralPacket: {
        callers: ['referral'],
        handle: async (request, call) => {
          const recipientType = intake.GetReferralPacketRequest.toJSON(request) as {
            recipientType?: string;
          };
          if (recipientType.recipientType === undefined) throw new NotFoundError('no such packet');
          const packet = await deps.cases.releasePacket(call.caller.principal, {
            caseId: request.caseId,
            referralId: request.referralId,
            recipientType: recipientType.recipientType as RecipientType,
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
    },
    deps,
  );
}
