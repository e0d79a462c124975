/**
 * Where the real services a suite needs are, as decided once per run by the jest global setup.
 *
 * The contract (DESIGN §7): `KAFKA_BROKERS` and `MONGODB_URI` point tests at running services;
 * otherwise, when a Docker engine answers, testcontainers starts them; otherwise the suites that need
 * them are skipped with a notice naming the variable to set — unless `REQUIRE_INFRA=1`, which turns
 * a missing service into a failed run.
 */

export type InfraService = 'kafka' | 'mongodb';

export interface ServiceSpec {
  readonly service: InfraService;
  /** The variable that points tests at a running instance. */
  readonly variable: 'KAFKA_BROKERS' | 'MONGODB_URI';
  /** How to get one on a machine without Docker. */
  readonly howToStart: string;
}

export const serviceSpecs: Readonly<Record<InfraService, ServiceSpec>> = {
  kafka: {
    service: 'kafka',
    variable: 'KAFKA_BROKERS',
    howToStart: 'infra/local/kafka.sh start, then KAFKA_BROKERS=127.0.0.1:9092',
  },
  mongodb: {
    service: 'mongodb',
    variable: 'MONGODB_URI',
    howToStart: 'infra/local/ferretdb.sh start, then MONGODB_URI=mongodb://127.0.0.1:27017/',
  },
};

export function infraRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['REQUIRE_INFRA'] === '1';
}

/** Kafka bootstrap brokers for this run, or undefined when Kafka suites are skipped. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env['KAFKA_BROKERS']?.trim();
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/** MongoDB connection string for this run, or undefined when MongoDB suites are skipped. */
export function mongoUri(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env['MONGODB_URI']?.trim();
  return raw ? raw : undefined;
}

export function skipNotice(spec: ServiceSpec): string {
  return `${spec.service} suites skipped: ${spec.variable} is not set and no Docker engine answered (${spec.howToStart})`;
}
