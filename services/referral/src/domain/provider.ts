import { IllegalStateError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { requireIdentifier, requireOneOf, requireSetOf, requireTimestamp } from './validation.ts';
import { NEEDS, RECIPIENT_TYPES, RISK_LEVELS } from './vocabulary.ts';
import type { Need, RecipientType, RiskLevel } from './vocabulary.ts';

/** One provider organisation's entry in the directory: `provider-<organisationId>`. */
export function providerStream(organisationId: string): string {
  return `provider-${organisationId}`;
}

/** Public: aman.referral.v1.ProviderRegistered as protobuf JSON. */
export type ProviderRegisteredData = {
  readonly providerId: string;
  readonly organisationId: string;
  readonly type: RecipientType;
  readonly services: Need[];
  readonly riskLevels: RiskLevel[];
  readonly registeredAt: string;
};
export type ProviderRegistered = DomainEvent<'ProviderRegistered', ProviderRegisteredData>;

/** Private: where and with which secret the provider's webhooks go. Never leaves the context. */
export type WebhookEndpoint = {
  readonly providerId: string;
  readonly url: string;
  /** Standard Webhooks symmetric secret: `whsec_` + base64. */
  readonly secret: string;
};
export type WebhookEndpointSet = DomainEvent<'WebhookEndpointSet', WebhookEndpoint>;

export type ProviderEvent = ProviderRegistered | WebhookEndpointSet;

export type RegisterProvider = {
  readonly type: 'RegisterProvider';
  readonly data: {
    readonly providerId: string;
    readonly organisationId: string;
    readonly type: RecipientType;
    readonly services: readonly Need[];
    readonly riskLevels: readonly RiskLevel[];
    readonly webhookUrl: string;
    readonly webhookSecret: string;
    readonly registeredAt: string;
  };
};
export type ProviderCommand = RegisterProvider;

export type ProviderState =
  | { readonly status: 'UNREGISTERED' }
  | {
      readonly status: 'REGISTERED';
      readonly provider: ProviderRegisteredData;
      /** Null only between the two events of one registration. */
      readonly webhook: WebhookEndpoint | null;
    };

// Standard Webhooks: a symmetric secret is 24 to 64 random bytes, base64 with `whsec_` before it.
const WEBHOOK_SECRET = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;
const SECRET_BYTES = { min: 24, max: 64 } as const;
const MAX_URL_LENGTH = 2048;

function registerProvider(command: RegisterProvider, state: ProviderState): ProviderEvent[] {
  const { data } = command;
  const provider: ProviderRegisteredData = {
    providerId: requireIdentifier(data.providerId, 'providerId'),
    organisationId: requireIdentifier(data.organisationId, 'organisationId'),
    type: requireOneOf(data.type, RECIPIENT_TYPES, 'type'),
    services: requireSetOf(data.services, NEEDS, 'services'),
    riskLevels: requireSetOf(data.riskLevels, RISK_LEVELS, 'riskLevels'),
    registeredAt: requireTimestamp(data.registeredAt, 'registeredAt'),
  };
  const url = requireWebhookUrl(data.webhookUrl);
  const secret = requireWebhookSecret(data.webhookSecret);

  if (state.status === 'REGISTERED') {
    // A retry mints a new provider id and time; what must match is what the provider offers.
    const registered = state.provider;
    const same =
      registered.organisationId === provider.organisationId &&
      registered.type === provider.type &&
      sameValues(registered.services, provider.services) &&
      sameValues(registered.riskLevels, provider.riskLevels) &&
      state.webhook?.url === url &&
      state.webhook.secret === secret;
    if (same) return [];
    throw new IllegalStateError(
      'this organisation is already registered as a provider with other details; updating a provider is not supported yet',
    );
  }

  return [
    { type: 'ProviderRegistered', data: provider },
    { type: 'WebhookEndpointSet', data: { providerId: provider.providerId, url, secret } },
  ];
}

/**
 * An absolute http(s) URL without credentials, in its normalised form. Whether the address it
 * resolves to may be called (SSRF) is decided by the delivery adapter at every attempt.
 */
function requireWebhookUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !URL.canParse(value)) {
    throw new ValidationError('webhookUrl must be an absolute http or https URL');
  }
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('webhookUrl must be an absolute http or https URL');
  }
  // Credentials in a URL end up in logs and events.
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError('webhookUrl must not carry credentials');
  }
  return url.href;
}

function requireWebhookSecret(value: unknown): string {
  const base64 = typeof value === 'string' ? WEBHOOK_SECRET.exec(value)?.[1] : undefined;
  if (typeof value === 'string' && base64 !== undefined) {
    const bytes =
      (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
    if (bytes >= SECRET_BYTES.min && bytes <= SECRET_BYTES.max) return value;
  }
  throw new ValidationError(
    `webhookSecret must be whsec_ followed by the base64 of ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes`,
  );
}

function sameValues<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

export const providerDecider: Decider<ProviderState, ProviderCommand, ProviderEvent> = {
  initialState: () => ({ status: 'UNREGISTERED' }),
  decide: (command, state) => registerProvider(command, state),
  evolve: (state, event) => {
    switch (event.type) {
      case 'ProviderRegistered':
        return { status: 'REGISTERED', provider: event.data, webhook: null };
      case 'WebhookEndpointSet':
        return state.status === 'REGISTERED' ? { ...state, webhook: event.data } : state;
    }
  },
};
