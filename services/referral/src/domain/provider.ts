import { IllegalStateError, NotFoundError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { requireIdentifier, requireOneOf, requireSetOf, requireTimestamp } from './validation.ts';
import {
  DELIVERY_CHANNELS,
  GENDERS,
  NEEDS,
  PROFILES,
  RECIPIENT_TYPES,
  RISK_LEVELS,
} from './vocabulary.ts';
import type {
  DeliveryChannel,
  Gender,
  Need,
  Profile,
  RecipientType,
  RiskLevel,
} from './vocabulary.ts';

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
  /** Absent from registrations before issue 9: anyone, no limit, webhooks. */
  readonly profiles?: Profile[];
  readonly provinces?: string[];
  readonly genders?: Gender[];
  readonly genderSensitive?: boolean;
  readonly capacity?: number;
  readonly languages?: string[];
  readonly deliveryChannel?: DeliveryChannel;
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

/** Public: suspended (not routed to) or active again. */
export type ProviderStatusChangedData = {
  readonly providerId: string;
  readonly organisationId: string;
  readonly active: boolean;
  readonly changedAt: string;
};
export type ProviderStatusChanged = DomainEvent<'ProviderStatusChanged', ProviderStatusChangedData>;

/**
 * Private: the provider's webhooks are signed with a new secret from now on; the one before is
 * still used beside it until `previousValidUntil`, so that the provider can switch its receiver
 * over without losing a notification (Standard Webhooks: several signatures in one header).
 */
export type WebhookSecretRotatedData = {
  readonly providerId: string;
  readonly secret: string;
  readonly previousSecret: string;
  readonly previousValidUntil: string;
  readonly rotatedAt: string;
};
export type WebhookSecretRotated = DomainEvent<'WebhookSecretRotated', WebhookSecretRotatedData>;

export type ProviderEvent =
  ProviderRegistered | WebhookEndpointSet | ProviderStatusChanged | WebhookSecretRotated;

export type RegisterProvider = {
  readonly type: 'RegisterProvider';
  readonly data: {
    readonly providerId: string;
    readonly organisationId: string;
    readonly type: RecipientType;
    readonly services: readonly Need[];
    readonly riskLevels: readonly RiskLevel[];
    /** Required for the webhook channel, '' for the pull feed. */
    readonly webhookUrl: string;
    readonly webhookSecret: string;
    readonly registeredAt: string;
    readonly profiles?: readonly Profile[];
    readonly provinces?: readonly string[];
    readonly genders?: readonly Gender[];
    readonly genderSensitive?: boolean;
    readonly capacity?: number;
    readonly languages?: readonly string[];
    readonly deliveryChannel?: DeliveryChannel;
  };
};

export type SetProviderStatus = {
  readonly type: 'SetProviderStatus';
  readonly data: { readonly active: boolean; readonly at: string };
};

export type RotateWebhookSecret = {
  readonly type: 'RotateWebhookSecret';
  readonly data: {
    readonly secret: string;
    /** How long the secret before stays valid beside the new one: 0 to a week. */
    readonly overlapSeconds: number;
    readonly at: string;
  };
};

/** A webhook provider's new URL; the secrets stay. */
export type SetWebhookUrl = {
  readonly type: 'SetWebhookUrl';
  readonly data: { readonly url: string };
};

export type ProviderCommand =
  RegisterProvider | SetProviderStatus | RotateWebhookSecret | SetWebhookUrl;

/** A secret that signs beside the current one until its time. */
export type RetiringSecret = { readonly secret: string; readonly validUntil: string };

export type ProviderState =
  | { readonly status: 'UNREGISTERED' }
  | {
      readonly status: 'REGISTERED';
      readonly provider: ProviderRegisteredData;
      /** Null for the pull feed, and between the two events of one registration. */
      readonly webhook: WebhookEndpoint | null;
      /** Secrets rotated out whose overlap may still run (the past ones are dropped on read). */
      readonly retiring: readonly RetiringSecret[];
      readonly active: boolean;
    };

/** The longest overlap of a rotation: a week for a provider's IT to switch its receiver over. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

/**
 * Every secret a webhook is signed with at `at`: the current one first, then the retiring ones
 * whose overlap has not ended.
 */
export function signingSecrets(
  state: ProviderState,
  at: string,
):
  | { readonly url: string; readonly secret: string; readonly secrets: readonly string[] }
  | undefined {
  if (state.status !== 'REGISTERED' || state.webhook === null) return undefined;
  const now = Date.parse(at);
  const retiring = state.retiring
    .filter((old) => Date.parse(old.validUntil) > now && old.secret !== state.webhook?.secret)
    .map((old) => old.secret);
  const { url, secret } = state.webhook;
  return { url, secret, secrets: [secret, ...new Set(retiring)] };
}

// Standard Webhooks: a symmetric secret is 24 to 64 random bytes, base64 with `whsec_` before it.
const WEBHOOK_SECRET = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;
const SECRET_BYTES = { min: 24, max: 64 } as const;
const MAX_URL_LENGTH = 2048;
const PROVINCE = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;
const LANGUAGE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/;
const MAX_LIST = 64;
const MAX_CAPACITY = 1_000_000;

function registerProvider(command: RegisterProvider, state: ProviderState): ProviderEvent[] {
  const { data } = command;
  const deliveryChannel = requireOneOf(
    data.deliveryChannel ?? 'DELIVERY_CHANNEL_WEBHOOK',
    DELIVERY_CHANNELS,
    'deliveryChannel',
  );
  const provider: ProviderRegisteredData = {
    providerId: requireIdentifier(data.providerId, 'providerId'),
    organisationId: requireIdentifier(data.organisationId, 'organisationId'),
    type: requireOneOf(data.type, RECIPIENT_TYPES, 'type'),
    services: requireSetOf(data.services, NEEDS, 'services'),
    riskLevels: requireSetOf(data.riskLevels, RISK_LEVELS, 'riskLevels'),
    registeredAt: requireTimestamp(data.registeredAt, 'registeredAt'),
    profiles: optionalSetOf(data.profiles, PROFILES, 'profiles'),
    provinces: requireCodes(data.provinces, PROVINCE, 'provinces', 'ISO 3166-2 province codes'),
    genders: optionalSetOf(data.genders, GENDERS, 'genders'),
    genderSensitive: data.genderSensitive === true,
    capacity: requireCount(data.capacity ?? 0, 'capacity'),
    languages: requireCodes(data.languages, LANGUAGE, 'languages', 'BCP 47 language tags'),
    deliveryChannel,
  };
  const webhook =
    deliveryChannel === 'DELIVERY_CHANNEL_WEBHOOK'
      ? {
          providerId: provider.providerId,
          url: requireWebhookUrl(data.webhookUrl),
          secret: requireWebhookSecret(data.webhookSecret),
        }
      : undefined;
  if (webhook === undefined && (data.webhookUrl !== '' || data.webhookSecret !== '')) {
    throw new ValidationError('a pull-feed provider has no webhookUrl or webhookSecret');
  }

  if (state.status === 'REGISTERED') {
    // A retry mints a new provider id and time; what must match is what the provider offers.
    const same =
      sameOffer(provider, asNow(state.provider)) &&
      state.webhook?.url === webhook?.url &&
      state.webhook?.secret === webhook?.secret;
    if (same) return [];
    throw new IllegalStateError(
      'this organisation is already registered as a provider with other details; updating a provider is not supported yet',
    );
  }

  return [
    { type: 'ProviderRegistered', data: provider },
    ...(webhook === undefined ? [] : [{ type: 'WebhookEndpointSet' as const, data: webhook }]),
  ];
}

function setProviderStatus(command: SetProviderStatus, state: ProviderState): ProviderEvent[] {
  const at = requireTimestamp(command.data.at, 'at');
  if (typeof command.data.active !== 'boolean')
    throw new ValidationError('active must be true or false');
  if (state.status !== 'REGISTERED') throw new NotFoundError('provider not found');
  if (state.active === command.data.active) return [];
  const { providerId, organisationId } = state.provider;
  return [
    {
      type: 'ProviderStatusChanged',
      data: { providerId, organisationId, active: command.data.active, changedAt: at },
    },
  ];
}

/** What a provider offers: everything of a registration but its id and time. */
function sameOffer(a: ProviderRegisteredData, b: ProviderRegisteredData): boolean {
  const offer = (p: ProviderRegisteredData) =>
    JSON.stringify(
      Object.entries(p)
        .filter(([key]) => key !== 'providerId' && key !== 'registeredAt')
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    );
  return offer(a) === offer(b);
}

/** A registration as it reads now: registrations before issue 9 lack the later fields. */
export function asNow(provider: ProviderRegisteredData): Required<ProviderRegisteredData> {
  return {
    ...provider,
    profiles: provider.profiles ?? [],
    provinces: provider.provinces ?? [],
    genders: provider.genders ?? [],
    genderSensitive: provider.genderSensitive ?? false,
    capacity: provider.capacity ?? 0,
    languages: provider.languages ?? [],
    deliveryChannel: provider.deliveryChannel ?? 'DELIVERY_CHANNEL_WEBHOOK',
  };
}

/** Values of a vocabulary, none meaning anyone; returned without repeats in its order. */
export function optionalSetOf<T extends string>(
  values: readonly unknown[] | undefined,
  allowed: readonly T[],
  field: string,
): T[] {
  return values === undefined || values.length === 0 ? [] : requireSetOf(values, allowed, field);
}

/** Codes of a given form, sorted without repeats. */
export function requireCodes(
  values: readonly unknown[] | undefined,
  form: RegExp,
  field: string,
  what: string,
): string[] {
  const given = values ?? [];
  if (!Array.isArray(given) || given.length > MAX_LIST) {
    throw new ValidationError(`${field} must list at most ${MAX_LIST} ${what}`);
  }
  for (const value of given) {
    if (typeof value !== 'string' || !form.test(value)) {
      throw new ValidationError(`${field} must list ${what}`);
    }
  }
  return [...new Set(given as string[])].sort();
}

/** A whole number from 0 (no limit) up. */
export function requireCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CAPACITY) {
    throw new ValidationError(
      `${field} must be a whole number from 0 (no limit) to ${MAX_CAPACITY}`,
    );
  }
  return value;
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

function webhookProvider(state: ProviderState): Extract<ProviderState, { status: 'REGISTERED' }> & {
  readonly webhook: WebhookEndpoint;
} {
  if (state.status !== 'REGISTERED') throw new NotFoundError('provider not found');
  if (state.webhook === null) {
    throw new IllegalStateError('this provider reads the pull feed: it has no webhook endpoint');
  }
  return { ...state, webhook: state.webhook };
}

function rotateWebhookSecret(command: RotateWebhookSecret, state: ProviderState): ProviderEvent[] {
  const at = requireTimestamp(command.data.at, 'at');
  const secret = requireWebhookSecret(command.data.secret);
  const overlap = command.data.overlapSeconds;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_SECRET_OVERLAP_SECONDS) {
    throw new ValidationError(
      `overlapSeconds must be a whole number from 0 to ${MAX_SECRET_OVERLAP_SECONDS} (a week)`,
    );
  }
  const { webhook } = webhookProvider(state);
  if (secret === webhook.secret)
    throw new ValidationError('the new secret must differ from the current one');
  return [
    {
      type: 'WebhookSecretRotated',
      data: {
        providerId: webhook.providerId,
        secret,
        previousSecret: webhook.secret,
        previousValidUntil: new Date(Date.parse(at) + overlap * 1000).toISOString(),
        rotatedAt: at,
      },
    },
  ];
}

function setWebhookUrl(command: SetWebhookUrl, state: ProviderState): ProviderEvent[] {
  const url = requireWebhookUrl(command.data.url);
  const { webhook } = webhookProvider(state);
  if (url === webhook.url) return [];
  return [{ type: 'WebhookEndpointSet', data: { ...webhook, url } }];
}

export const providerDecider: Decider<ProviderState, ProviderCommand, ProviderEvent> = {
  initialState: () => ({ status: 'UNREGISTERED' }),
  decide: (command, state) => {
    switch (command.type) {
      case 'RegisterProvider':
        return registerProvider(command, state);
      case 'SetProviderStatus':
        return setProviderStatus(command, state);
      case 'RotateWebhookSecret':
        return rotateWebhookSecret(command, state);
      case 'SetWebhookUrl':
        return setWebhookUrl(command, state);
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'ProviderRegistered':
        return {
          status: 'REGISTERED',
          provider: event.data,
          webhook: null,
          retiring: [],
          active: true,
        };
      case 'WebhookEndpointSet':
        return state.status === 'REGISTERED' ? { ...state, webhook: event.data } : state;
      case 'WebhookSecretRotated':
        if (state.status !== 'REGISTERED' || state.webhook === null) return state;
        return {
          ...state,
          webhook: { ...state.webhook, secret: event.data.secret },
          // Those whose overlap ended before this rotation are dropped: the list stays short.
          retiring: [
            ...state.retiring.filter(
              (old) => Date.parse(old.validUntil) > Date.parse(event.data.rotatedAt),
            ),
            { secret: event.data.previousSecret, validUntil: event.data.previousValidUntil },
          ],
        };
      case 'ProviderStatusChanged':
        return state.status === 'REGISTERED' ? { ...state, active: event.data.active } : state;
    }
  },
};
