import { runService } from '@aman/service-kit';

import { policyOf, riskConfigSpec } from './adapters/config.ts';
import { startRiskAssessment } from './service.ts';

await runService(
  'risk-assessment',
  async (kit, config) => {
    const started = await startRiskAssessment({
      platform: kit.platform,
      identity: kit.identity,
      logger: kit.logger,
      policy: policyOf(config),
      timers: await kit.platform.timers(),
    });
    return started;
  },
  riskConfigSpec,
);
