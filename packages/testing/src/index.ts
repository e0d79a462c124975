export { infraRequired, kafkaBrokers, mongoUri, serviceSpecs, type InfraService } from './infra.ts';
export { testNamespace } from './namespace.ts';
export {
  describeWithKafka,
  describeWithMongo,
  type KafkaSuite,
  type MongoSuite,
} from './suites.ts';
export { probeKafka, probeMongo } from './probe.ts';
export { expectAmanError } from './assertions.ts';
export {
  DeciderSpecification,
  type DeciderThen,
  type SpecifiedDecider,
} from './deciderSpecification.ts';
export { eventually } from './eventually.ts';
export { dropMongoDatabases, readMongoDatabases, type RawCollection } from './rawStores.ts';
export { withoutDefaults } from './protobufJson.ts';
export { TcpProxy } from './tcpProxy.ts';
