import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { providerDecider, providerStream, signingSecrets } from './provider.ts';
import type {
  ProviderEvent,
  ProviderRegistered,
  RotateWebhookSecret,
  WebhookSecretRotated,
  ProviderStatusChanged,
  RegisterProvider,
  WebhookEndpointSet,
} from './provider.ts';

// The Standard Webhooks reference test key: 24 bytes.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const register: RegisterProvider = {
  type: 'RegisterProvider',
  data: {
    providerId: 'prov-1',
    organisationId: 'org-legal-aid',
    type: 'RECIPIENT_TYPE_LEGAL_AID',
    services: ['NEED_LEGAL_AID', 'NEED_EMERGENCY_GRANT'],
    riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
    webhookUrl: 'https://provider.example/hooks/aman',
    webhookSecret: SECRET,
    registeredAt: '2025-03-01T10:00:00Z',
  },
};

const registered: ProviderRegistered = {
  type: 'ProviderRegistered',
  data: {
    providerId: 'prov-1',
    organisationId: 'org-legal-aid',
    type: 'RECIPIENT_TYPE_LEGAL_AID',
    // Vocabulary order, whatever order the request gave.
    services: ['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID'],
    riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
    registeredAt: '2025-03-01T10:00:00.000Z',
    profiles: [],
    provinces: [],
    genders: [],
    genderSensitive: false,
    capacity: 0,
    languages: [],
    deliveryChannel: 'DELIVERY_CHANNEL_WEBHOOK',
  },
};

const endpointSet: WebhookEndpointSet = {
  type: 'WebhookEndpointSet',
  data: { providerId: 'prov-1', url: 'https://provider.example/hooks/aman', secret: SECRET },
};

function withData(data: Partial<RegisterProvider['data']>): RegisterProvider {
  return { type: 'RegisterProvider', data: { ...register.data, ...data } };
}

describe('provider directory', () => {
  const spec = DeciderSpecification.for(providerDecider);

  it('keeps each provider organisation in its own stream', () => {
    expect(providerStream('org-legal-aid')).toBe('provider-org-legal-aid');
  });

  it('registers a provider: the public description and, privately, its webhook endpoint', () => {
    spec.given([]).when(register).then([registered, endpointSet]);
  });

  it('lists each service and risk level once', () => {
    spec
      .given([])
      .when(
        withData({
          services: ['NEED_LEGAL_AID', 'NEED_LEGAL_AID', 'NEED_EMERGENCY_GRANT'],
          riskLevels: ['RISK_LEVEL_CRITICAL', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
        }),
      )
      .then([registered, endpointSet]);
  });

  it('takes http URLs for local providers and stores URLs in their normalised form', () => {
    spec
      .given([])
      .when(withData({ webhookUrl: 'http://LOCALHOST:8080/hooks' }))
      .then([
        registered,
        { ...endpointSet, data: { ...endpointSet.data, url: 'http://localhost:8080/hooks' } },
      ]);
  });

  it.each([
    ['a relative URL', '/hooks'],
    ['another scheme', 'ftp://provider.example/hooks'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['credentials in the URL', 'https://user:pass@provider.example/hooks'],
    ['an overlong URL', `https://provider.example/${'a'.repeat(2048)}`],
    ['nothing', ''],
  ])('refuses %s as the webhook URL', (_, webhookUrl) => {
    spec.given([]).when(withData({ webhookUrl })).thenThrows('AMAN_ERR_VALIDATION');
  });

  it.each([
    ['no whsec_ prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['the prefix alone', 'whsec_'],
    ['23 bytes', `whsec_${'A'.repeat(31)}=`],
    ['65 bytes', `whsec_${'A'.repeat(87)}=`],
    ['not base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w'],
    ['base64 without its padding', `whsec_${'A'.repeat(31)}`],
    ['an asymmetric key', 'whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  ])('refuses a webhook secret with %s, without repeating it', (_, webhookSecret) => {
    const error = spec
      .given([])
      .when(withData({ webhookSecret }))
      .thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain('webhookSecret');
    if (webhookSecret !== 'whsec_') expect(error.message).not.toContain(webhookSecret);
  });

  it('takes a secret of 64 bytes, the most Standard Webhooks allows', () => {
    const secret = `whsec_${'A'.repeat(86)}==`;
    spec
      .given([])
      .when(withData({ webhookSecret: secret }))
      .then([registered, { ...endpointSet, data: { ...endpointSet.data, secret } }]);
  });

  it.each([
    ['no services', { services: [] }],
    ['no risk levels', { riskLevels: [] }],
    ['an unspecified service', { services: ['NEED_UNSPECIFIED' as never] }],
    ['an unknown risk level', { riskLevels: ['RISK_LEVEL_EXTREME' as never] }],
    ['an unspecified type', { type: 'RECIPIENT_TYPE_UNSPECIFIED' as never }],
    ['an empty organisation id', { organisationId: '' }],
    ['a provider id with spaces', { providerId: 'prov 1' }],
    ['a registration time without an offset', { registeredAt: '2025-03-01T10:00:00' }],
    ['30 February', { registeredAt: '2025-02-30T10:00:00Z' }],
  ] as const)('refuses %s', (_, data) => {
    spec.given([]).when(withData(data)).thenThrows('AMAN_ERR_VALIDATION');
  });

  it('decides nothing when the same organisation registers again with the same offer', () => {
    // A retry mints a new provider id and time: neither makes it a different registration.
    spec
      .given([registered, endpointSet])
      .when(
        withData({
          providerId: 'prov-2',
          registeredAt: '2025-03-02T10:00:00Z',
          services: ['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID'],
        }),
      )
      .thenNothingHappened();
  });

  it.each([
    ['another type', { type: 'RECIPIENT_TYPE_EMERGENCY_FUND' }],
    ['other services', { services: ['NEED_LEGAL_AID'] }],
    ['other risk levels', { riskLevels: ['RISK_LEVEL_LOW'] }],
    ['another webhook URL', { webhookUrl: 'https://provider.example/other' }],
    ['another secret', { webhookSecret: `whsec_${'A'.repeat(32)}` }],
  ] as const)('refuses to change a registered provider (%s): updates come later', (_, data) => {
    spec.given([registered, endpointSet]).when(withData(data)).thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  it('remembers the description and the endpoint', () => {
    const state = [registered, endpointSet].reduce(
      providerDecider.evolve,
      providerDecider.initialState(),
    );
    expect(state).toEqual({
      status: 'REGISTERED',
      provider: registered.data,
      webhook: endpointSet.data,
      retiring: [],
      active: true,
    });
  });

  describe('webhook secret rotation and URL', () => {
    const NEW_SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    const rotate = (overlapSeconds: number, secret = NEW_SECRET): RotateWebhookSecret => ({
      type: 'RotateWebhookSecret',
      data: { secret, overlapSeconds, at: '2025-04-01T12:00:00.000Z' },
    });
    const rotated: WebhookSecretRotated = {
      type: 'WebhookSecretRotated',
      data: {
        providerId: 'prov-1',
        secret: NEW_SECRET,
        previousSecret: SECRET,
        previousValidUntil: '2025-04-02T12:00:00.000Z',
        rotatedAt: '2025-04-01T12:00:00.000Z',
      },
    };
    const stateOf = (events: ProviderEvent[]) =>
      events.reduce(providerDecider.evolve, providerDecider.initialState());

    it('signs with the new secret, and the one before until the overlap ends', () => {
      spec.given([registered, endpointSet]).when(rotate(86_400)).then(rotated);
      const state = stateOf([registered, endpointSet, rotated]);
      expect(signingSecrets(state, '2025-04-01T12:00:01.000Z')?.secrets).toEqual([
        NEW_SECRET,
        SECRET,
      ]);
      expect(signingSecrets(state, '2025-04-02T11:59:59.999Z')?.secrets).toEqual([
        NEW_SECRET,
        SECRET,
      ]);
      expect(signingSecrets(state, '2025-04-02T12:00:00.000Z')?.secrets).toEqual([NEW_SECRET]);
    });

    it('drops the old secret at once with no overlap', () => {
      spec
        .given([registered, endpointSet])
        .when(rotate(0))
        .then({
          ...rotated,
          data: { ...rotated.data, previousValidUntil: '2025-04-01T12:00:00.000Z' },
        });
    });

    it('keeps every secret whose overlap still runs through a second rotation', () => {
      const third = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
      const again: WebhookSecretRotated = {
        type: 'WebhookSecretRotated',
        data: {
          ...rotated.data,
          secret: third,
          previousSecret: NEW_SECRET,
          rotatedAt: '2025-04-01T13:00:00.000Z',
          previousValidUntil: '2025-04-01T14:00:00.000Z',
        },
      };
      const state = stateOf([registered, endpointSet, rotated, again]);
      expect(signingSecrets(state, '2025-04-01T13:30:00.000Z')?.secrets).toEqual([
        third,
        SECRET,
        NEW_SECRET,
      ]);
      expect(signingSecrets(state, '2025-04-01T15:00:00.000Z')?.secrets).toEqual([third, SECRET]);
      expect(signingSecrets(state, '2025-04-03T00:00:00.000Z')?.secrets).toEqual([third]);
    });

    it.each([
      ['a negative overlap', rotate(-1)],
      ['an overlap over a week', rotate(7 * 86_400 + 1)],
      ['a fractional overlap', rotate(1.5)],
      ['a secret that is not whsec_', rotate(60, 'not-a-secret')],
      ['the same secret again', rotate(60, SECRET)],
    ])('refuses %s', (_, command) => {
      spec.given([registered, endpointSet]).when(command).thenThrows('AMAN_ERR_VALIDATION');
    });

    it('refuses a rotation for a provider that reads the pull feed, or none at all', () => {
      const pull = {
        ...registered,
        data: { ...registered.data, deliveryChannel: 'DELIVERY_CHANNEL_PULL_FEED' as const },
      };
      spec.given([pull]).when(rotate(60)).thenThrows('AMAN_ERR_ILLEGAL_STATE');
      spec.given([]).when(rotate(60)).thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('sends to a new URL with the same secrets, and refuses a URL with credentials', () => {
      const url = 'https://provider.example/hooks/v2';
      spec
        .given([registered, endpointSet])
        .when({ type: 'SetWebhookUrl', data: { url } })
        .then({ ...endpointSet, data: { ...endpointSet.data, url } });
      spec
        .given([registered, endpointSet])
        .when({ type: 'SetWebhookUrl', data: { url: endpointSet.data.url } })
        .thenNothingHappened();
      spec
        .given([registered, endpointSet])
        .when({ type: 'SetWebhookUrl', data: { url: 'https://user:pw@provider.example/' } })
        .thenThrows('AMAN_ERR_VALIDATION');
      const state = stateOf([
        registered,
        endpointSet,
        rotated,
        { ...endpointSet, data: { ...endpointSet.data, url, secret: NEW_SECRET } },
      ]);
      expect(signingSecrets(state, '2025-04-01T12:00:01.000Z')).toEqual({
        url,
        secret: NEW_SECRET,
        secrets: [NEW_SECRET, SECRET],
      });
    });
  });

  describe('eligibility, capacity, languages and channel', () => {
    it('keeps whom it takes, its capacity and languages, in a stable order without repeats', () => {
      spec
        .given([])
        .when(
          withData({
            profiles: ['PROFILE_LAWYER', 'PROFILE_JOURNALIST', 'PROFILE_LAWYER'],
            provinces: ['AF-KAB', 'AF-HER', 'AF-KAB'],
            genders: ['GENDER_WOMAN'],
            genderSensitive: true,
            capacity: 12,
            languages: ['fa-AF', 'ps', 'en'],
          }),
        )
        .then([
          {
            ...registered,
            data: {
              ...registered.data,
              profiles: ['PROFILE_JOURNALIST', 'PROFILE_LAWYER'],
              provinces: ['AF-HER', 'AF-KAB'],
              genders: ['GENDER_WOMAN'],
              genderSensitive: true,
              capacity: 12,
              languages: ['en', 'fa-AF', 'ps'],
            },
          },
          endpointSet,
        ]);
    });

    it('registers a pull-feed provider with no webhook endpoint at all', () => {
      spec
        .given([])
        .when(
          withData({
            deliveryChannel: 'DELIVERY_CHANNEL_PULL_FEED',
            webhookUrl: '',
            webhookSecret: '',
          }),
        )
        .then({
          ...registered,
          data: { ...registered.data, deliveryChannel: 'DELIVERY_CHANNEL_PULL_FEED' },
        });
    });

    it('refuses a pull-feed provider that names a webhook URL or secret', () => {
      spec
        .given([])
        .when(withData({ deliveryChannel: 'DELIVERY_CHANNEL_PULL_FEED', webhookSecret: '' }))
        .thenThrows('AMAN_ERR_VALIDATION');
    });

    it.each([
      ['a province that is not a code', { provinces: ['Herat'] }],
      ['a language that is not a tag', { languages: ['Dari language'] }],
      ['a negative capacity', { capacity: -1 }],
      ['a fractional capacity', { capacity: 1.5 }],
      ['an unknown profile', { profiles: ['PROFILE_SPY' as never] }],
      ['an unknown channel', { deliveryChannel: 'DELIVERY_CHANNEL_FAX' as never }],
    ] as const)('refuses %s', (_, data) => {
      spec.given([]).when(withData(data)).thenThrows('AMAN_ERR_VALIDATION');
    });

    it('takes the same registration again from a provider registered before issue 9', () => {
      const before = {
        ...registered,
        data: {
          providerId: 'prov-1',
          organisationId: 'org-legal-aid',
          type: 'RECIPIENT_TYPE_LEGAL_AID',
          services: ['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID'],
          riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
          registeredAt: '2025-03-01T10:00:00.000Z',
        },
      } as ProviderRegistered;
      spec.given([before, endpointSet]).when(register).thenNothingHappened();
    });
  });

  describe('suspension', () => {
    const suspend = {
      type: 'SetProviderStatus',
      data: { active: false, at: '2025-04-01T08:00:00Z' },
    } as const;
    const suspended: ProviderStatusChanged = {
      type: 'ProviderStatusChanged',
      data: {
        providerId: 'prov-1',
        organisationId: 'org-legal-aid',
        active: false,
        changedAt: '2025-04-01T08:00:00.000Z',
      },
    };

    it('suspends an active provider, and reactivates it', () => {
      spec.given([registered, endpointSet]).when(suspend).then(suspended);
      spec
        .given([registered, endpointSet, suspended])
        .when({ type: 'SetProviderStatus', data: { active: true, at: '2025-04-02T08:00:00Z' } })
        .then({
          ...suspended,
          data: { ...suspended.data, active: true, changedAt: '2025-04-02T08:00:00.000Z' },
        });
    });

    it('decides nothing when the provider is already so', () => {
      spec.given([registered, endpointSet, suspended]).when(suspend).thenNothingHappened();
    });

    it('does not suspend a provider that was never registered', () => {
      spec.given([]).when(suspend).thenThrows('AMAN_ERR_NOT_FOUND');
    });
  });
});
