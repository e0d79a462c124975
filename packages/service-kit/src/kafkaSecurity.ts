import { KAFKA_SASL_MECHANISMS, type KafkaSecurity } from '@aman/messaging';

import { ConfigError, env } from './config.ts';

/**
 * The Kafka connection's authentication and TLS: SASL/SCRAM when KAFKA_SASL_MECHANISM names one
 * (the compose stack's broker takes nothing else), none by default (the local test brokers).
 */
export const kafkaSecuritySpec = {
  kafkaSaslMechanism: env.oneOf(
    'KAFKA_SASL_MECHANISM',
    'SASL mechanism of the Kafka connection (none: no authentication)',
    ['none', ...KAFKA_SASL_MECHANISMS],
    'none',
  ),
  kafkaSaslUsername: env.optional('KAFKA_SASL_USERNAME', 'the Kafka SASL user'),
  kafkaSaslPassword: env.optional('KAFKA_SASL_PASSWORD', 'the password of KAFKA_SASL_USERNAME'),
  kafkaSsl: env.oneOf('KAFKA_SSL', 'TLS to the Kafka brokers', ['false', 'true'], 'false'),
};

type KafkaSecurityConfig = {
  [K in keyof typeof kafkaSecuritySpec]: ReturnType<(typeof kafkaSecuritySpec)[K]['parse']>;
};

/**
 * The parsed variables as the bus takes them. Credentials without a mechanism, or a mechanism
 * without both credentials, are an error: neither should quietly connect unauthenticated.
 */
export function kafkaSecurityOf(config: KafkaSecurityConfig): KafkaSecurity {
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username } = config;
  const password = config.kafkaSaslPassword;
  const ssl = config.kafkaSsl === 'true';
  if (mechanism === 'none') {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError([
        'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM (scram-sha-256 or scram-sha-512)',
      ]);
    }
    return { ssl };
  }
  if (username === undefined || password === undefined) {
    throw new ConfigError([
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    ]);
  }
  return { ssl, sasl: { mechanism, username, password: () => password } };
}
