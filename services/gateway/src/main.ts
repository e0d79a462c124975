import type { ChannelCredentials, Client } from '@grpc/grpc-js';

import { accountability, intake, projections, referral, risk } from '@aman/contracts';
import { ServiceClient, addressOf, env, runService } from '@aman/service-kit';

import { ApiKeyStore } from './adapters/keyStore.ts';
import { buildApp } from './app.ts';

await runService(
  'gateway',
  async (kit, config) => {
    const keys = await ApiKeyStore.open(await kit.platform.readModels());
    const client = <C extends Client>(
      audience: string,
      address: string,
      type: new (address: string, credentials: ChannelCredentials) => C,
    ) => new ServiceClient({ audience, address, client: type, identity: kit.identity });
    const clients = {
      intake: client('intake', config.intake, intake.IntakeServiceClient),
      risk: client('risk-assessment', config.risk, risk.RiskAssessmentServiceClient),
      referral: client('referral', config.referral, referral.ReferralServiceClient),
      accountability: client(
        'accountability',
        config.accountability,
        accountability.AccountabilityServiceClient,
      ),
      monitoring: client(
        'accountability',
        config.accountability,
        accountability.MonitoringServiceClient,
      ),
      projections: client('projections', config.projections, projections.ProjectionsServiceClient),
    };
    const app = await buildApp({ keys, clients, logger: kit.logger });
    const address = await app.listen({ host: config.host, port: config.httpPort });
    kit.logger.info({ url: address, openapi: `${address}/openapi.json` }, 'gateway ready');
    return {
      stop: async () => {
        await app.close();
        for (const each of Object.values(clients)) each.close();
      },
    };
  },
  {
    host: env.string('AMAN_HTTP_HOST', 'interface the public API listens on', '127.0.0.1'),
    httpPort: env.port('AMAN_HTTP_PORT', 'port of the public API', 8080),
    intake: addressOf('intake'),
    risk: addressOf('risk-assessment'),
    referral: addressOf('referral'),
    accountability: addressOf('accountability'),
    projections: addressOf('projections'),
  },
);
