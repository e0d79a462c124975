import { ConfigError, createLogger, environmentOf } from '@aman/service-kit';

import { rebuildReadModels } from './adapters/rebuild.ts';

/**
 * `pnpm projections:rebuild`: replays the producers' stores into a new version of every read
 * model beside the active one and switches over when it has caught up; a running projections
 * service follows the switch. The stores are the ones the environment names (AMAN_DATA_DIR, or
 * MONGODB_URI and KAFKA_BROKERS), as for the services.
 */
let environment: ReturnType<typeof environmentOf>;
try {
  environment = environmentOf();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`projections:rebuild: ${error.message}\n`);
  process.exit(2);
}
const started = performance.now();
const reports = await rebuildReadModels(
  environment.platform,
  createLogger('projections-rebuild', 'warn'),
  (projection, step) => {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `${projection} ${step.source}: ${step.applied}/${step.head} events` +
        ` (${Math.round(step.applied / Math.max(seconds, 0.001))}/s)\n`,
    );
  },
);
for (const report of reports) {
  process.stdout.write(
    `${report.projection}: v${report.version} active, ${report.applied} events in ` +
      `${report.seconds.toFixed(1)} s (${Math.round(report.applied / Math.max(report.seconds, 0.001))}/s)\n`,
  );
}
