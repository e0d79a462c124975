import { describe, it } from '@jest/globals';

import { kafkaBrokers, mongoUri, serviceSpecs, type InfraService } from './infra.ts';
import { testNamespace } from './namespace.ts';

export interface KafkaSuite {
  readonly brokers: string[];
  /** Prefix every topic and consumer group of this file with it. */
  readonly namespace: string;
}

export interface MongoSuite {
  readonly uri: string;
  /** A database name of this file's own. */
  readonly database: string;
}

function describeWith<T>(
  service: InfraService,
  context: T | undefined,
  name: string,
  body: (context: T) => void,
): void {
  if (context === undefined) {
    // The global setup already printed why; the suite name says it again in the report.
    const { variable, howToStart } = serviceSpecs[service];
    describe(`${name} [skipped: set ${variable}]`, () => {
      it.skip(`needs ${service}: ${howToStart}`, () => {
        /* nothing runs */
      });
    });
    return;
  }
  describe(name, () => {
    body(context);
  });
}

/** A suite that runs against the real Kafka broker of this run, or is skipped visibly. */
export function describeWithKafka(name: string, body: (kafka: KafkaSuite) => void): void {
  const brokers = kafkaBrokers();
  describeWith(
    'kafka',
    brokers ? { brokers, namespace: testNamespace(name) } : undefined,
    name,
    body,
  );
}

/** A suite that runs against the real MongoDB-wire server of this run, or is skipped visibly. */
export function describeWithMongo(name: string, body: (mongo: MongoSuite) => void): void {
  const uri = mongoUri();
  describeWith('mongodb', uri ? { uri, database: testNamespace(name) } : undefined, name, body);
}
