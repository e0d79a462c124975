import { ForbiddenError, UnauthenticatedError } from '@aman/errors';
import { handleCommand, loadState, type EventMetadata, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  programmeDecider,
  programmeStream,
  providerDecider,
  providerStream,
  signingSecrets,
  type DefineProgramme,
  type ProgrammeStatus,
  type ProviderEvent,
  type ProviderState,
  type ProviderCommand,
  type RegisterProvider,
} from '../domain/index.ts';
import { REFERRAL_SERVICE } from './events.ts';

/** What an administrator registers; the provider id and the time are Aman's. */
export type ProviderRegistration = Omit<RegisterProvider['data'], 'providerId' | 'registeredAt'>;

/** What an administrator defines of a programme; the time is Aman's. */
export type ProgrammeDefinition = Omit<DefineProgramme['data'], 'at'>;

function administrator(principal: Principal | undefined, what: string): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'admin') {
    throw new ForbiddenError(`only an administrator ${what}`);
  }
  return principal;
}

/** The provider itself, or an administrator, may change where and how its webhooks go. */
function providerOrAdministrator(
  principal: Principal | undefined,
  organisationId: string,
  what: string,
): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  const own =
    principal.organisationType === 'provider' && principal.organisationId === organisationId;
  if (!own && principal.organisationType !== 'admin') {
    throw new ForbiddenError(`only the provider itself or an administrator ${what}`);
  }
  return principal;
}

/**
 * The provider directory: registrations (with eligibility, capacity, languages and channel),
 * suspension, where each provider's webhooks go, and the programmes providers run.
 */
export class ProviderDirectory {
  readonly #store: EventStore;
  readonly #checkUrl: ((url: string) => Promise<unknown>) | undefined;

  /**
   * `checkUrl`: the SSRF rules a webhook URL must pass at registration, as at every delivery
   * (`OutboundClient.check`): https, a public address after resolution.
   */
  constructor(
    store: EventStore,
    options: { readonly checkUrl?: (url: string) => Promise<unknown> } = {},
  ) {
    this.#store = store;
    this.#checkUrl = options.checkUrl;
  }

  /** Registers an organisation as a provider, once: the same registration again is a no-op. */
  async register(
    principal: Principal | undefined,
    registration: ProviderRegistration,
  ): Promise<{ readonly providerId: string }> {
    const admin = administrator(principal, 'registers providers');
    // Refused before anything is stored: a URL that points inside the network never gets in.
    if (this.#checkUrl !== undefined && registration.webhookUrl !== '') {
      await this.#checkUrl(registration.webhookUrl);
    }
    const providerId = idFrom('provider', registration.organisationId);
    const result = await handleCommand(
      this.#store,
      providerStream(registration.organisationId),
      providerDecider,
      {
        type: 'RegisterProvider',
        data: { ...registration, providerId, registeredAt: new Date().toISOString() },
      },
      {
        metadata: eventMetadata({ actor: actorOf(admin), correlationId: providerId }),
      },
    );
    return {
      providerId:
        result.state.status === 'REGISTERED' ? result.state.provider.providerId : providerId,
    };
  }

  /** Suspends a provider (routing passes it by) or makes it active again. */
  async setStatus(
    principal: Principal | undefined,
    organisationId: string,
    active: boolean,
  ): Promise<boolean> {
    const admin = administrator(principal, 'suspends providers');
    const result = await this.#decideProvider(admin, organisationId, {
      type: 'SetProviderStatus',
      data: { active, at: new Date().toISOString() },
    });
    return result.state.status === 'REGISTERED' && result.state.active;
  }

  /**
   * Signs the provider's webhooks with a new secret from now on, and with the one before too for
   * `overlapSeconds` (at most a week), so that its receiver can switch over without losing a
   * notification. The caller made the secret (as at registration) and shows it once.
   */
  async rotateWebhookSecret(
    principal: Principal | undefined,
    organisationId: string,
    rotation: { readonly secret: string; readonly overlapSeconds: number },
  ): Promise<{ readonly previousValidUntil: string }> {
    const by = providerOrAdministrator(principal, organisationId, 'rotates its webhook secret');
    const { secret, overlapSeconds } = rotation;
    const { events } = await this.#decideProvider(by, organisationId, {
      type: 'RotateWebhookSecret',
      data: { secret, overlapSeconds, at: new Date().toISOString() },
    });
    const rotated = events.find((event) => event.type === 'WebhookSecretRotated');
    if (rotated?.type !== 'WebhookSecretRotated') throw new Error('a rotation rotated nothing');
    return { previousValidUntil: rotated.data.previousValidUntil };
  }

  /** Sends the provider's webhooks to a new URL, checked as at registration. */
  async setWebhookUrl(
    principal: Principal | undefined,
    organisationId: string,
    url: string,
  ): Promise<void> {
    const by = providerOrAdministrator(principal, organisationId, 'changes its webhook URL');
    if (this.#checkUrl !== undefined) await this.#checkUrl(url);
    await this.#decideProvider(by, organisationId, { type: 'SetWebhookUrl', data: { url } });
  }

  async #decideProvider(principal: Principal, organisationId: string, command: ProviderCommand) {
    return handleCommand(this.#store, providerStream(organisationId), providerDecider, command, {
      metadata: eventMetadata({ actor: actorOf(principal), correlationId: organisationId }),
    });
  }

  /** Defines a programme, or a new version of its criteria; the same definition is a no-op. */
  async defineProgramme(
    principal: Principal | undefined,
    definition: ProgrammeDefinition,
  ): Promise<{ readonly criteriaVersion: number; readonly status: ProgrammeStatus }> {
    const admin = administrator(principal, 'defines programmes');
    const result = await handleCommand(
      this.#store,
      programmeStream(definition.programmeId),
      programmeDecider,
      { type: 'DefineProgramme', data: { ...definition, at: new Date().toISOString() } },
      {
        metadata: eventMetadata({ actor: actorOf(admin), correlationId: definition.programmeId }),
      },
    );
    const { state } = result;
    if (state.status === 'UNDEFINED') throw new Error('a defined programme has no state');
    return { criteriaVersion: state.programme.criteriaVersion, status: state.status };
  }

  /** Opens, suspends, closes (for good) or marks full a programme. */
  async setProgrammeStatus(
    principal: Principal | undefined,
    programmeId: string,
    status: ProgrammeStatus,
  ): Promise<ProgrammeStatus> {
    const admin = administrator(principal, 'sets a programme’s status');
    const result = await handleCommand(
      this.#store,
      programmeStream(programmeId),
      programmeDecider,
      { type: 'SetProgrammeStatus', data: { status, at: new Date().toISOString() } },
      { metadata: eventMetadata({ actor: actorOf(admin), correlationId: programmeId }) },
    );
    if (result.state.status === 'UNDEFINED') throw new Error('a programme lost its state');
    return result.state.status;
  }

  /** An accepted referral takes a place of its programme's quota, once. */
  async takePlace(programmeId: string, referralId: string, causationId: string): Promise<void> {
    const metadata: EventMetadata = eventMetadata({
      actor: { organisationId: REFERRAL_SERVICE, principalId: REFERRAL_SERVICE },
      correlationId: programmeId,
      causationId,
    });
    await handleCommand(
      this.#store,
      programmeStream(programmeId),
      programmeDecider,
      { type: 'TakePlace', data: { referralId, at: new Date().toISOString() } },
      { metadata },
    );
  }

  /**
   * Where the provider's webhooks go and the secrets that sign them now (the current one first,
   * then those of a rotation's overlap); undefined for a pull-feed provider.
   */
  async webhookEndpoint(
    organisationId: string,
  ): Promise<
    | { readonly url: string; readonly secret: string; readonly secrets: readonly string[] }
    | undefined
  > {
    return signingSecrets(await this.#provider(organisationId), new Date().toISOString());
  }

  /** Whether the organisation is a provider that reads its notifications from the pull feed. */
  async pullsFeed(organisationId: string): Promise<boolean> {
    const state = await this.#provider(organisationId);
    return (
      state.status === 'REGISTERED' &&
      state.provider.deliveryChannel === 'DELIVERY_CHANNEL_PULL_FEED'
    );
  }

  async #provider(organisationId: string): Promise<ProviderState> {
    const { state } = await loadState<ProviderState, ProviderEvent>(
      this.#store,
      providerStream(organisationId),
      providerDecider,
    );
    return state;
  }
}
