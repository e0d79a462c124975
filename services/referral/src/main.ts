import { intake, referral } from '@aman/contracts';
import {
  INSECURE_LOOPBACK_VARIABLE,
  OutboundClient,
  allowInsecureLoopbackFrom,
} from '@aman/outbound';
import { everyDocument } from '@aman/projections';
import { ServiceClient, addressOf, env, runService } from '@aman/service-kit';

import { REFERRAL_SERVICE_NAME, referralServer } from './adapters/grpcServer.ts';
import { intakePackets } from './adapters/intakePackets.ts';
import { httpWebhookSender } from './adapters/webhookSender.ts';
import { runDeadlines } from './application/deadlineTimers.ts';
import { ProviderDirectory } from './application/providerDirectory.ts';
import { ProviderFeed } from './application/providerFeed.ts';
import { Referrals } from './application/referrals.ts';
import { RoutingProcess } from './application/routingProcess.ts';
import { WebhookDelivery } from './application/webhookDelivery.ts';
import { FINAL, REFERRAL_STATUSES } from './domain/index.ts';

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
    // Every call to a provider's URL goes through the SSRF rules of @aman/outbound, and so does
    // the URL a provider registers.
    const outbound = new OutboundClient({ allowInsecureLoopback: config.insecureLoopbackWebhooks });
    const providers = new ProviderDirectory(store, { checkUrl: (url) => outbound.check(url) });
    const readModels = await kit.platform.readModels();
    // Deadlines keep a timer store of their own: webhook attempts have theirs.
    const deadlineTimers = await kit.platform.timers('deadline_timers');
    const referrals = await Referrals.open({
      store,
      readModels,
      packets: intakePackets(intakeClient),
      timers: deadlineTimers,
    });
    const routing = await RoutingProcess.open(readModels, referrals, kit.logger, providers);
    const deadlines = runDeadlines({ timers: deadlineTimers, referrals, logger: kit.logger });
    const routingSubscription = await kit.platform.subscribe(
      'routing',
      ['intake', 'risk', 'referral'],
      (event) => routing.onEvent(event),
    );
    const deliveries = new WebhookDelivery({
      store,
      timers: await kit.platform.timers(),
      readModels,
      referrals,
      providers,
      sender: httpWebhookSender(outbound),
      logger: kit.logger,
      retry: {
        attempts: config.webhookAttempts,
        firstDelayMs: config.webhookFirstRetryMs,
        maxDelayMs: config.webhookMaxRetryMs,
      },
    });
    // The operator's pipeline status: notifications given up on (WebhookDelivery's dead-letter
    // read model), the failed attempts behind them, and the later ones they hold back.
    const deadLetters = await readModels.collection('webhook_dead_letters', {
      indexes: ['providerOrganisationId'],
    });
    const total = (field: string) => async () =>
      (await everyDocument(deadLetters)).reduce(
        (sum, letter) => sum + Number(letter[field] ?? 0),
        0,
      );
    kit.platform.registerCounter('webhook_dead_letters', () => deadLetters.count());
    kit.platform.registerCounter('webhook_dead_letter_attempts', total('attempts'));
    kit.platform.registerCounter('webhook_held_back', total('heldBack'));
    // Every failed attempt, retries and those that later got through included (this process's).
    kit.platform.registerCounter(
      'webhook_failed_attempts',
      async () => deliveries.attempts().failed,
    );
    kit.platform.registerCounter(
      'webhook_delivered_attempts',
      async () => deliveries.attempts().delivered,
    );
    // Open referrals by status and how long the oldest has waited in it (one reading of the
    // index serves every status), and the referrals escalated for a missed deadline.
    let openCounts:
      { readonly at: number; readonly counts: ReturnType<Referrals['openByStatus']> } | undefined;
    const openByStatus = () => {
      if (openCounts === undefined || Date.now() - openCounts.at > 1_000) {
        openCounts = { at: Date.now(), counts: referrals.openByStatus() };
      }
      return openCounts.counts;
    };
    for (const status of REFERRAL_STATUSES.filter((each) => !FINAL.includes(each))) {
      const name = `referrals_open_${status.slice('REFERRAL_STATUS_'.length).toLowerCase()}`;
      kit.platform.registerCounter(
        name,
        async () => (await openByStatus()).get(status)?.count ?? 0,
      );
      kit.platform.registerCounter(
        `${name}_oldest_seconds`,
        async () => (await openByStatus()).get(status)?.oldestSeconds ?? 0,
      );
    }
    kit.platform.registerCounter('referral_escalations', () => referrals.escalations());
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
            feed: new ProviderFeed({ store, referrals, directory: providers }),
            deliveries,
            routing,
            identity: kit.identity,
            logger: kit.logger,
          }),
        },
      ],
      stop: async () => {
        // Subscriptions first, so that a delivery cut short is left for the next start.
        const stopped = Promise.all([
          routingSubscription.stop(),
          webhookSubscription.stop(),
          deadlines.stop(),
        ]);
        await deliveries.stop();
        await stopped;
        intakeClient.close();
      },
    };
  },
  {
    intake: addressOf('intake'),
    insecureLoopbackWebhooks: {
      name: INSECURE_LOOPBACK_VARIABLE,
      description: 'development only: webhooks may go to plain http on loopback (1 or true)',
      parse: allowInsecureLoopbackFrom,
    },
    webhookAttempts: env.integer(
      'AMAN_WEBHOOK_ATTEMPTS',
      'attempts at one webhook notification before it is dead-lettered',
      12,
      1,
    ),
    webhookFirstRetryMs: env.integer(
      'AMAN_WEBHOOK_FIRST_RETRY_MS',
      'wait after a webhook’s first failed attempt, doubled after each further one',
      10_000,
      1,
    ),
    webhookMaxRetryMs: env.integer(
      'AMAN_WEBHOOK_MAX_RETRY_MS',
      'longest wait between two attempts at a webhook',
      3_600_000,
      1,
    ),
  },
);
