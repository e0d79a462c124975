import { describe, expect, it } from '@jest/globals';

import { kafkaClientConfig } from './kafkaBus.ts';

describe('kafkaClientConfig', () => {
  const base = { brokers: ['kafka:9092'], clientId: 'intake' };

  it('configures no SASL and no TLS unless asked (the local test brokers)', () => {
    const config = kafkaClientConfig(base);
    expect(config.brokers).toEqual(['kafka:9092']);
    expect(config).not.toHaveProperty('sasl');
    expect(config).not.toHaveProperty('ssl');
  });

  it('hands kafkajs the SCRAM mechanism, the user and the password, and TLS', () => {
    const config = kafkaClientConfig({
      ...base,
      security: {
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'aman', password: () => 'secret' },
      },
    });
    expect(config.ssl).toBe(true);
    expect(config.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'aman',
      password: 'secret',
    });
  });
});
