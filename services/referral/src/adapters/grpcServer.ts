import { common, referral } from '@aman/contracts';
import { implement, type Logger, type ServiceIdentity } from '@aman/service-kit';

import type { ProviderDirectory } from '../application/providerDirectory.ts';
import type { Referrals } from '../application/referrals.ts';
import type { Need, RecipientType, ReferralAction, RiskLevel } from '../domain/index.ts';

export const REFERRAL_SERVICE_NAME = 'aman.referral.v1.ReferralService';

/**
 * ReferralService over gRPC: the admin CLI registers providers; providers, through the gateway,
 * fetch packets and answer. Enums become the domain's names here; the deciders refuse
 * UNSPECIFIED and unknown values.
 */
export function referralServer(deps: {
  readonly providers: ProviderDirectory;
  readonly referrals: Referrals;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): referral.ReferralServiceServer {
  return implement<referral.ReferralServiceServer>(
    REFERRAL_SERVICE_NAME,
    {
      registerProvider: {
        callers: ['admin'],
        handle: async (request, call) =>
          deps.providers.register(call.caller.principal, {
            organisationId: request.organisationId,
            type: common.recipientTypeToJSON(request.type) as RecipientType,
            services: request.services.map((need) => common.needToJSON(need) as Need),
            riskLevels: request.riskLevels.map(
              (level) => common.riskLevelToJSON(level) as RiskLevel,
            ),
            webhookUrl: request.webhookUrl,
            webhookSecret: request.webhookSecret,
          }),
      },
      getPacket: {
        callers: ['gateway'],
        handle: async (request, call) => ({
          packet: await deps.referrals.packet(call.caller.principal, request.referralId),
        }),
      },
      respondToReferral: {
        callers: ['gateway'],
        handle: async (request, call) => {
          const status = await deps.referrals.respond(
            call.caller.principal,
            request.referralId,
            referral.referralActionToJSON(request.action) as ReferralAction,
            request.reason,
          );
          return { status: referral.referralStatusFromJSON(status) };
        },
      },
    },
    deps,
  );
}
