import { runService } from '@aman/service-kit';

import { accountabilityConfigSpec, responsePolicyOf } from './adapters/config.ts';
import { startAccountability } from './service.ts';

await runService(
  'accountability',
  (kit, config) =>
    startAccountability({
      platform: kit.platform,
      identity: kit.identity,
      logger: kit.logger,
      responsePolicy: responsePolicyOf(config),
    }),
  accountabilityConfigSpec,
);
