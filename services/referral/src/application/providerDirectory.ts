import { ForbiddenError, UnauthenticatedError } from '@aman/errors';
import { handleCommand, loadState, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  providerDecider,
  providerStream,
  type ProviderEvent,
  type ProviderState,
  type RegisterProvider,
  type WebhookEndpoint,
} from '../domain/index.ts';

/** What an administrator registers; the provider id and the time are Aman's. */
export type ProviderRegistration = Omit<RegisterProvider['data'], 'providerId' | 'registeredAt'>;

/** The provider directory: registrations, and where each provider's webhooks go. */
export class ProviderDirectory {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** Registers an organisation as a provider, once: the same registration again is a no-op. */
  async register(
    principal: Principal | undefined,
    registration: ProviderRegistration,
  ): Promise<{ readonly providerId: string }> {
    if (principal === undefined) throw new UnauthenticatedError();
    if (principal.organisationType !== 'admin') {
      throw new ForbiddenError('only an administrator registers providers');
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
        metadata: eventMetadata({ actor: actorOf(principal), correlationId: providerId }),
      },
    );
    return {
      providerId:
        result.state.status === 'REGISTERED' ? result.state.provider.providerId : providerId,
    };
  }

  /** Where and with which secret the provider's webhooks go; undefined for no such provider. */
  async webhookEndpoint(organisationId: string): Promise<WebhookEndpoint | undefined> {
    const { state } = await loadState<ProviderState, ProviderEvent>(
      this.#store,
      providerStream(organisationId),
      providerDecider,
    );
    return state.status === 'REGISTERED' ? (state.webhook ?? undefined) : undefined;
  }
}
