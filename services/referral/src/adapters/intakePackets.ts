import { common, type intake } from '@aman/contracts';
import type { ServiceClient } from '@aman/service-kit';

import type { PacketSource } from '../application/referrals.ts';

/** Packets from intake over gRPC, asked for the provider who reads them (intake audits it). */
export function intakePackets(client: ServiceClient<intake.IntakeServiceClient>): PacketSource {
  return {
    fetch: async (request, provider) => {
      const { packet } = await client.call(
        'getReferralPacket',
        {
          caseId: request.caseId,
          referralId: request.referralId,
          recipientType: common.recipientTypeFromJSON(request.recipientType),
        },
        { principal: provider },
      );
      return packet;
    },
  };
}
