import { runService } from '@aman/service-kit';

import { accountabilityConfigSpec, responsePolicyOf } from './adapters/config.ts';
import { startEvidenceCollector } from './evidence/collector.ts';
import { startAccountability } from './service.ts';

await runService(
  'accountability',
  async (kit, config) => {
    const started = await startAccountability({
      platform: kit.platform,
      identity: kit.identity,
      logger: kit.logger,
      responsePolicy: responsePolicyOf(config),
    });
    // Every service's evidence checkpoints, kept in accountability's own log.
    await startEvidenceCollector(kit);
    return started;
  },
  accountabilityConfigSpec,
);
