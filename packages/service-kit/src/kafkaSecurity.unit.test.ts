import { inspect } from 'node:util';

import { describe, expect, it } from '@jest/globals';

import { ConfigError } from './config.ts';
import { environmentOf, type Environment } from './run.ts';

const PASSWORD = 'kafka-password-canary-7f3a';
const distributed = {
  AMAN_MODE: 'distributed',
  KAFKA_BROKERS: 'kafka:9092',
  MONGODB_URI: 'mongodb://mongodb:27017/',
};

function securityOf(environment: Environment) {
  if (environment.platform.mode !== 'distributed') throw new Error('expected distributed mode');
  return environment.platform.kafkaSecurity;
}

/** The ConfigError that loading `source` throws. */
function configErrorOf(source: NodeJS.ProcessEnv): ConfigError {
  try {
    environmentOf(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Kafka SASL/SCRAM and TLS from the environment', () => {
  it('uses neither by default (the local test brokers)', () => {
    const security = securityOf(environmentOf(distributed));
    expect(security).toEqual({ ssl: false });
  });

  it('authenticates with the configured SCRAM mechanism and credentials', () => {
    const environment = environmentOf({
      ...distributed,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'aman',
      KAFKA_SASL_PASSWORD: PASSWORD,
      KAFKA_SSL: 'true',
    });
    const security = securityOf(environment);
    expect(security?.ssl).toBe(true);
    expect(security?.sasl?.mechanism).toBe('scram-sha-512');
    expect(security?.sasl?.username).toBe('aman');
    expect(security?.sasl?.password()).toBe(PASSWORD);
    // Logged or serialised, the configuration never shows the password.
    expect(JSON.stringify(environment)).not.toContain(PASSWORD);
    expect(inspect(environment, { depth: null })).not.toContain(PASSWORD);
  });

  it('refuses a mechanism it does not support, naming the variable and the choices', () => {
    const error = configErrorOf({ ...distributed, KAFKA_SASL_MECHANISM: 'plain' });
    expect(error.message).toContain('KAFKA_SASL_MECHANISM');
    expect(error.message).toContain('must be one of none, scram-sha-256, scram-sha-512');
  });

  it('refuses a mechanism without both credentials, without echoing the password', () => {
    const error = configErrorOf({
      ...distributed,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(error.message).toContain(
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
    expect(error.message).not.toContain(PASSWORD);
  });

  it('refuses credentials without a mechanism rather than connecting unauthenticated', () => {
    const error = configErrorOf({
      ...distributed,
      KAFKA_SASL_USERNAME: 'aman',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(error.message).toContain('need KAFKA_SASL_MECHANISM');
    expect(error.message).not.toContain(PASSWORD);
  });

  it('refuses a KAFKA_SSL that is neither true nor false', () => {
    const error = configErrorOf({ ...distributed, KAFKA_SSL: 'yes' });
    expect(error.message).toContain('KAFKA_SSL');
    expect(error.message).toContain('must be one of false, true');
  });
});
