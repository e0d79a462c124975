import { runService } from '@aman/service-kit';

import { policyOf, riskConfigSpec } from './adapters/config.ts';
import { openTimerStore, startRiskAssessment } from './service.ts';

await runService(
  'risk-assessment',
  async (kit, config) => {
    const { timers, close } = await openTimerStore(kit.platform, kit.dataDir);
    const started = await startRiskAssessment({
      platform: kit.platform,
      identity: kit.identity,
      logger: kit.logger,
      policy: policyOf(config),
      timers,
    });
    return {
      ...started,
      stop: async () => {
        await started.stop?.();
        await close();
      },
    };
  },
  riskConfigSpec,
);
