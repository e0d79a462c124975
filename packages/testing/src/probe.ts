import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

/** Resolves when a Kafka broker answers a metadata request within the timeout; rejects otherwise. */
export async function probeKafka(brokers: string[], timeoutMs = 10_000): Promise<void> {
  const admin = new Kafka({
    clientId: 'aman-test-probe',
    brokers,
    connectionTimeout: timeoutMs,
    retry: { retries: 2 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

/** Resolves when a MongoDB-wire server answers `ping` within the timeout; rejects otherwise. */
export async function probeMongo(uri: string, timeoutMs = 10_000): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}
