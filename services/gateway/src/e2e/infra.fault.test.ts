import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, it } from '@jest/globals';

import { kafkaBrokers, mongoUri } from '@aman/testing';

import { ROOT } from './platform.ts';
import { faultsUnderLoad } from './underLoad.ts';

// The Kafka broker, then FerretDB, restarted under load (issue 12). This suite starts a broker
// and a FerretDB of its own on other ports (infra/local's scripts keep each port's state apart),
// so that the instances the other suites use are never restarted under them; each restart keeps
// its data (--reuse-data), as a restarted server would.

const KAFKA_PORT = '19192';
const FERRETDB_PORT = '27117';
const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Runs one of infra/local's scripts for this suite's port; throws with its output on failure. */
function infra(script: 'kafka' | 'ferretdb', ...args: string[]): void {
  const ran = spawnSync('bash', [join(ROOT, `infra/local/${script}.sh`), ...args], {
    env: { ...process.env, KAFKA_PORT, FERRETDB_PORT },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (ran.status !== 0) {
    throw new Error(`${script}.sh ${args.join(' ')} failed:\n${ran.stdout}${ran.stderr}`);
  }
}

if (kafkaBrokers() !== undefined && mongoUri() !== undefined) {
  faultsUnderLoad({
    title: 'the broker and the database restarted under load',
    mode: 'distributed',
    offset: 700,
    env: {
      KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORT}`,
      MONGODB_URI: `mongodb://127.0.0.1:${FERRETDB_PORT}/`,
    },
    while: 'Kafka, then FerretDB, is stopped and started again with its data',
    setUp: async () => {
      infra('kafka', 'start');
      infra('ferretdb', 'start');
    },
    tearDown: async () => {
      infra('kafka', 'stop');
      infra('ferretdb', 'stop');
    },
    inject: async () => {
      infra('kafka', 'stop');
      await pause(3_000);
      infra('kafka', 'start', '--reuse-data');
      await pause(5_000);
      infra('ferretdb', 'stop');
      await pause(3_000);
      infra('ferretdb', 'start', '--reuse-data');
      await pause(5_000);
    },
  });
} else {
  describe.skip('the broker and the database restarted under load [skipped: set KAFKA_BROKERS and MONGODB_URI]', () => {
    it('needs Kafka and MongoDB', () => undefined);
  });
}
