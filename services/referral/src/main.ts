import { intake, referral } from '@aman/contracts';
import { ServiceClient, addressOf, runService } from '@aman/service-kit';

import { REFERRAL_SERVICE_NAME, referralServer } from './adapters/grpcServer.ts';
import { intakePackets } from './adapters/intakePackets.ts';
import { httpWebhookSender } from './adapters/webhookSender.ts';
import { ProviderDirectory } from './application/providerDirectory.ts';
import { Referrals } from './application/referrals.ts';
import { RoutingProcess } from './application/routingProcess.ts';
import { WebhookDelivery } from './application/webhookDelivery.ts';

await runService(
  'referral',
  async (kit, config) => {
    const store = await kit.platform.eventStore();
    await kit.platform.publish('referral', store);
    const intakeClient = new ServiceClient({
      audience: 'intake',
      address: config.intake,
      client: intake.IntakeServiceClient,
      identity: kit.identity,
    });
    const providers = new ProviderDirectory(store);
    const readModels = await kit.platform.readModels();
    const referrals = await Referrals.open({
      store,
      readModels,
      packets: intakePackets(intakeClient),
    });
    const routing = await RoutingProcess.open(readModels, referrals, kit.logger);
    const routingSubscription = await kit.platform.subscribe(
      'routing',
      ['intake', 'risk', 'referral'],
      (event) => routing.onEvent(event),
    );
    const deliveries = new WebhookDelivery({
      referrals,
      providers,
      sender: httpWebhookSender(),
      logger: kit.logger,
    });
    // Intake too: a case's erasure is told to every provider that had it.
    const webhookSubscription = await kit.platform.subscribe(
      'webhooks',
      ['referral', 'intake'],
      (event) => deliveries.onEvent(event),
    );

    return {
      grpc: [
        {
          name: REFERRAL_SERVICE_NAME,
          definition: referral.ReferralServiceService,
          implementation: referralServer({
            providers,
            referrals,
            identity: kit.identity,
            logger: kit.logger,
          }),
        },
      ],
      stop: async () => {
        // Subscriptions first, so that a delivery cut short is left for the next start.
        const stopped = Promise.all([routingSubscription.stop(), webhookSubscription.stop()]);
        deliveries.stop();
        await stopped;
        intakeClient.close();
      },
    };
  },
  { intake: addressOf('intake') },
);
