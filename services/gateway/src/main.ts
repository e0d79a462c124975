import type { ChannelCredentials, Client } from '@grpc/grpc-js';

import { accountability, intake, operations, projections, referral, risk } from '@aman/contracts';
import { ServiceClient, addressOf, env, grpcHealth, runService } from '@aman/service-kit';

import { ApiKeyStore } from './adapters/keyStore.ts';
import { DEFAULT_LIMITS, buildApp } from './app.ts';

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
      operations: Object.fromEntries(
        (
          [
            ['intake', config.intake],
            ['risk-assessment', config.risk],
            ['referral', config.referral],
            ['accountability', config.accountability],
            ['projections', config.projections],
          ] as const
        ).map(([name, address]) => [
          name,
          client(name, address, operations.OperationsServiceClient),
        ]),
      ),
    };
    const serving = (address: string) => async () => (await grpcHealth(address)) === 'SERVING';
    const app = await buildApp({
      keys,
      clients,
      dependencies: {
        keyStore: async () => (await keys.organisation('readiness-probe'), true),
        intake: serving(config.intake),
        'risk-assessment': serving(config.risk),
        referral: serving(config.referral),
        accountability: serving(config.accountability),
        projections: serving(config.projections),
      },
      logger: kit.logger,
      limits: {
        requestsPerMinute: config.requestsPerMinute,
        failuresPerKey: config.failuresPerKey,
        failuresPerSource: config.failuresPerSource,
        failureWindowMs: config.failureWindowSeconds * 1000,
        notFoundFloorMs: config.notFoundFloorMs,
      },
    });
    const address = await app.listen({ host: config.host, port: config.httpPort });
    kit.logger.info({ url: address, openapi: `${address}/openapi.json` }, 'gateway ready');
    return {
      stop: async () => {
        await app.close();
        const { operations: perService, ...others } = clients;
        for (const each of [...Object.values(others), ...Object.values(perService)]) each.close();
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
    requestsPerMinute: env.integer(
      'AMAN_RATE_LIMIT_PER_MINUTE',
      'requests per minute per API key (per source address without one); then 429',
      DEFAULT_LIMITS.requestsPerMinute,
      1,
    ),
    failuresPerKey: env.integer(
      'AMAN_AUTH_FAILURES_PER_KEY',
      'failed authentications per key id in the window before 429',
      DEFAULT_LIMITS.failuresPerKey,
      1,
    ),
    failuresPerSource: env.integer(
      'AMAN_AUTH_FAILURES_PER_SOURCE',
      'failed authentications per source address in the window before 429 (valid keys pass)',
      DEFAULT_LIMITS.failuresPerSource,
      1,
    ),
    notFoundFloorMs: env.integer(
      'AMAN_NOT_FOUND_FLOOR_MS',
      'the least time a 404 takes, so that timing does not tell whether an object exists',
      DEFAULT_LIMITS.notFoundFloorMs,
      0,
    ),
    failureWindowSeconds: env.integer(
      'AMAN_AUTH_FAILURE_WINDOW_SECONDS',
      'the window failed authentications are counted in',
      DEFAULT_LIMITS.failureWindowMs / 1000,
      1,
    ),
  },
);
