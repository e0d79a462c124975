/**
 * Runs once before any test file: decides, for Kafka and MongoDB, whether this run uses a running
 * service, starts one with testcontainers, or skips the suites that need it (see infra.ts).
 * Variables set here reach every test worker, which jest starts afterwards.
 */
import { infraRequired, serviceSpecs, skipNotice, type ServiceSpec } from './infra.ts';
import { probeKafka, probeMongo } from './probe.ts';
import { dockerAnswers, startKafkaContainer, startMongoContainer } from './containers.ts';

async function provide(
  spec: ServiceSpec,
  probe: (address: string) => Promise<void>,
  startContainer: () => Promise<string>,
): Promise<void> {
  const configured = process.env[spec.variable]?.trim();
  if (configured) {
    try {
      await probe(configured);
    } catch (error) {
      // The variable says the service is there; a silent skip would hide a broken set-up.
      throw new Error(
        `${spec.variable}=${configured} is set but ${spec.service} does not answer there`,
        { cause: error },
      );
    }
    log(`${spec.service}: using ${spec.variable}=${configured}`);
    return;
  }
  if (await dockerAnswers()) {
    const address = await startContainer();
    process.env[spec.variable] = address;
    log(`${spec.service}: started a container with testcontainers at ${address}`);
    return;
  }
  if (infraRequired()) {
    throw new Error(
      `REQUIRE_INFRA=1 but ${spec.variable} is not set and no Docker engine answered (${spec.howToStart})`,
    );
  }
  log(`NOTICE: ${skipNotice(spec)}`);
}

function log(line: string): void {
  process.stdout.write(`\n[aman test infra] ${line}`);
}

export default async function globalSetup(): Promise<void> {
  await provide(
    serviceSpecs.kafka,
    (brokers) => probeKafka(brokers.split(',')),
    startKafkaContainer,
  );
  await provide(serviceSpecs.mongodb, (uri) => probeMongo(uri), startMongoContainer);
  process.stdout.write('\n');
}
