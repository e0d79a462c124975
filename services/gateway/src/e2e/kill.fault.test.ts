import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { sqliteIntegrity } from '@aman/eventstore/testing';
import { kafkaBrokers, mongoUri } from '@aman/testing';

import { SERVICE_ORDER } from './platform.ts';
import { faultsUnderLoad } from './underLoad.ts';

// Each service in turn is killed with SIGKILL under load and started again; then projections is
// paused (SIGSTOP) past a consumer's session timeout and let go. In the embedded mode every
// SQLite file of a killed service must pass `PRAGMA integrity_check` right after the kill.

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function killed(mode: 'embedded' | 'distributed'): void {
  faultsUnderLoad({
    title: 'SIGKILL and SIGSTOP of each service under load',
    mode,
    offset: mode === 'embedded' ? 200 : 300,
    while: 'each service is killed and restarted in turn, and projections paused past its session',
    inject: async ({ services, dataDir }) => {
      const integrity: Record<string, string> = {};
      for (const service of SERVICE_ORDER) {
        await services.kill(service);
        if (mode === 'embedded') {
          for (const file of readdirSync(dataDir).filter(
            (name) => name.startsWith(`${service}.`) && name.endsWith('.db'),
          ))
            integrity[file] = sqliteIntegrity(join(dataDir, file));
        }
        await pause(500);
        await services.start(service);
        await pause(2_500);
      }
      // Frozen with its connections open, past KAFKA_SESSION_TIMEOUT_MS (6 s): its partitions go
      // to nobody, then back to it. Nothing lost, nothing applied twice (the rebuild check).
      services.signal('projections', 'SIGSTOP');
      await pause(8_000);
      services.signal('projections', 'SIGCONT');
      if (mode === 'embedded') {
        expect(Object.keys(integrity).length).toBeGreaterThanOrEqual(SERVICE_ORDER.length);
        for (const [file, result] of Object.entries(integrity))
          expect([file, result]).toEqual([file, 'ok']);
      }
    },
  });
}

killed('embedded');
if (kafkaBrokers() !== undefined && mongoUri() !== undefined) killed('distributed');
else
  describe.skip('SIGKILL and SIGSTOP of each service under load, distributed mode [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
