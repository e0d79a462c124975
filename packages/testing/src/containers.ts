/**
 * Kafka and MongoDB in containers, for machines with a Docker engine and no services of their own.
 * Loaded lazily: testcontainers is only imported when a Docker engine may be there.
 */
import type { StartedTestContainer } from 'testcontainers';

// Confluent Platform 8.1 carries Apache Kafka 4.1, the version infra/local/kafka.sh and CI run.
const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.1.0';
const MONGO_IMAGE = 'mongo:8.0';

// On globalThis: jest loads the global setup and teardown modules separately.
const registry = globalThis as { __amanContainers?: StartedTestContainer[] };
const started: StartedTestContainer[] = (registry.__amanContainers ??= []);

export async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startKafkaContainer(): Promise<string> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(KAFKA_IMAGE)
    .withKraft()
    .withEnvironment({ KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
    .start();
  started.push(container);
  return `${container.getHost()}:${container.getMappedPort(9093)}`;
}

export async function startMongoContainer(): Promise<string> {
  // The module starts mongod as a single-node replica set.
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const container = await new MongoDBContainer(MONGO_IMAGE).start();
  started.push(container);
  return `${container.getConnectionString()}?directConnection=true`;
}

export async function stopContainers(): Promise<void> {
  await Promise.all(started.splice(0).map((container) => container.stop()));
}
