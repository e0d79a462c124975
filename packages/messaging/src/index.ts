export type {
  BusMessage,
  DeadLetterRecord,
  DeliveryContext,
  MessageHandler,
  Publisher,
  SubscribeOptions,
  Subscriber,
  Subscription,
} from './types.ts';
export { SPEC_VERSION, fromHeaders, toHeaders } from './cloudevents.ts';
export { EventCodecs, PROTOBUF, bind, type EventBinding, type ProtoMessageType } from './codecs.ts';
export { StreamVersionGuard } from './delivery.ts';
export {
  KAFKA_SASL_MECHANISMS,
  KafkaBus,
  deadLetterTopic,
  parkOnDeadLetterTopic,
  type KafkaBusOptions,
  type KafkaSaslMechanism,
  type PartitionLag,
  type KafkaSecurity,
} from './kafka/kafkaBus.ts';
export {
  EmbeddedBus,
  type EmbeddedBusOptions,
  type EmbeddedProgress,
  type EmbeddedTopic,
} from './embedded/embeddedBus.ts';
export { OutboxRelay, type OutboxRelayOptions, type RelayProgress } from './relay/outboxRelay.ts';
