import type { intake } from '@aman/contracts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@aman/errors';
import {
  handleCommand,
  loadState,
  type CommandResult,
  type EventMetadata,
  type EventStore,
} from '@aman/eventstore';
import type { ReadModelCollection, ReadModelStore } from '@aman/projections';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  mayReadPacket,
  referralDecider,
  referralStream,
  type CaseFacts,
  type Notice,
  type ProviderMatch,
  type RecipientType,
  type ReferralAction,
  type ReferralCommand,
  type ReferralEvent,
  type ReferralRoutedData,
  type ReferralState,
  type ReferralStatus,
  type RevocationReason,
} from '../domain/index.ts';
import { everyDocument } from './everyDocument.ts';
import { REFERRAL_SERVICE } from './events.ts';

/** One referral of a case, as the case's index of referrals lists it. */
export type CaseReferral = {
  readonly referralId: string;
  readonly caseId: string;
  /** The case's NGO. */
  readonly organisationId: string;
  readonly providerOrganisationId: string;
  /** The provider's directory id: what a consent grant names. */
  readonly providerId: string;
  readonly recipientType: RecipientType;
};

/** Where a referral's minimised, consented packet comes from (intake). */
export interface PacketSource {
  readonly fetch: (
    request: {
      readonly caseId: string;
      readonly referralId: string;
      readonly recipientType: RecipientType;
    },
    provider: Principal,
  ) => Promise<intake.ReferralPacket | undefined>;
}

function provider(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'provider') {
    throw new ForbiddenError('only a provider organisation answers referrals');
  }
  return principal;
}

/** What happens to referrals: routed, delivered, answered, revoked, their packets fetched. */
export class Referrals {
  readonly #store: EventStore;
  readonly #byCase: ReadModelCollection;
  readonly #packets: PacketSource;

  private constructor(store: EventStore, byCase: ReadModelCollection, packets: PacketSource) {
    this.#store = store;
    this.#byCase = byCase;
    this.#packets = packets;
  }

  static async open(options: {
    readonly store: EventStore;
    readonly readModels: ReadModelStore;
    readonly packets: PacketSource;
  }): Promise<Referrals> {
    return new Referrals(
      options.store,
      await options.readModels.collection('case_referrals', { indexes: ['caseId'] }),
      options.packets,
    );
  }

  /** The referral's id for a case and provider: one referral per pair, whenever it is routed. */
  static idOf(caseId: string, providerOrganisationId: string): string {
    return idFrom('referral', caseId, providerOrganisationId);
  }

  async state(referralId: string): Promise<ReferralState> {
    const { state } = await loadState<ReferralState, ReferralEvent>(
      this.#store,
      referralStream(referralId),
      referralDecider,
    );
    return state;
  }

  /**
   * Routes a case to a matching provider, reacting to `causationId`. Routing the same pair again
   * (a redelivered event, a re-assessment) decides nothing. True when this call routed it.
   */
  async route(
    caseFacts: Pick<CaseFacts, 'caseId' | 'organisationId' | 'deadlineClass'>,
    match: ProviderMatch,
    causationId: string,
  ): Promise<boolean> {
    const referralId = Referrals.idOf(caseFacts.caseId, match.providerOrganisationId);
    // Indexed before it is routed, so that no referral is ever missing from its case's list
    // (a revocation that finds the entry but no referral yet has nothing to revoke).
    const entry: CaseReferral = {
      referralId,
      caseId: caseFacts.caseId,
      organisationId: caseFacts.organisationId,
      providerOrganisationId: match.providerOrganisationId,
      providerId: match.providerId,
      recipientType: match.recipientType,
    };
    await this.#byCase.write([{ id: referralId, data: entry, versions: {} }]);
    const result = await this.#decide(
      referralId,
      {
        type: 'RouteReferral',
        data: {
          referralId,
          caseId: caseFacts.caseId,
          providerOrganisationId: match.providerOrganisationId,
          organisationId: caseFacts.organisationId,
          recipientType: match.recipientType,
          reasons: match.reasons,
          deadlineClass: caseFacts.deadlineClass,
          routedAt: new Date().toISOString(),
        },
      },
      onBehalfOf(caseFacts.organisationId, caseFacts.caseId, causationId),
    );
    return result.events.length > 0;
  }

  /** The referrals a case was routed to (or was about to be), in referral id order. */
  async ofCase(caseId: string): Promise<CaseReferral[]> {
    const documents = await everyDocument(this.#byCase, { caseId });
    return documents.map((data) => data as unknown as CaseReferral);
  }

  /**
   * The case no longer allows this referral, reacting to `causationId`: revoked if it has not
   * ended, its provider asked to delete its copies if it has and the case was erased. Deciding it
   * again decides nothing. The referral's state afterwards, and whether this call changed it.
   */
  async revoke(
    referral: CaseReferral,
    reason: RevocationReason,
    causationId: string,
  ): Promise<{ readonly state: ReferralState; readonly decided: boolean }> {
    const result = await this.#decide(
      referral.referralId,
      { type: 'Revoke', data: { reason, at: new Date().toISOString() } },
      onBehalfOf(referral.organisationId, referral.caseId, causationId),
    );
    return { state: result.state, decided: result.events.length > 0 };
  }

  /** The provider's webhook endpoint answered 2xx to `notice`, sent for `causationId`. */
  async recordDelivery(
    referral: ReferralRoutedData,
    notice: Notice,
    causationId: string,
  ): Promise<void> {
    await this.#decide(
      referral.referralId,
      { type: 'RecordDelivery', data: { notice, at: new Date().toISOString() } },
      onBehalfOf(referral.organisationId, referral.caseId, causationId),
    );
  }

  /** A provider's answer to a referral addressed to it (NotFoundError for anyone else's). */
  async respond(
    principal: Principal | undefined,
    referralId: string,
    action: ReferralAction,
    reason: string,
  ): Promise<ReferralStatus> {
    const answering = provider(principal);
    const referral = await this.#addressedTo(answering, referralId);
    const result = await this.#decide(
      referralId,
      {
        type: 'Respond',
        data: {
          action,
          reason,
          providerOrganisationId: answering.organisationId,
          at: new Date().toISOString(),
        },
      },
      eventMetadata({ actor: actorOf(answering), correlationId: referral.caseId }),
    );
    if (result.state.status === 'NOT_ROUTED') throw new NotFoundError('referral not found');
    return result.state.status;
  }

  /**
   * The minimised packet of a referral, for the provider it is addressed to while it works on
   * it: never once revoked, without asking intake. Intake checks the consent and audits the read.
   */
  async packet(
    principal: Principal | undefined,
    referralId: string,
  ): Promise<intake.ReferralPacket> {
    const reader = provider(principal);
    const state = await this.state(referralId);
    // Someone else's referral, or one that ended (revoked included), does not exist as far as
    // they can tell.
    if (state.status === 'NOT_ROUTED' || !mayReadPacket(state, reader.organisationId)) {
      throw new NotFoundError('referral not found');
    }
    const packet = await this.#packets.fetch(
      { caseId: state.referral.caseId, referralId, recipientType: state.referral.recipientType },
      reader,
    );
    if (packet === undefined) throw new NotFoundError('referral not found');
    return packet;
  }

  /** The referral if it is addressed to this provider; NotFoundError otherwise, never a hint. */
  async #addressedTo(answering: Principal, referralId: string): Promise<ReferralRoutedData> {
    const state = await this.state(referralId);
    if (
      state.status === 'NOT_ROUTED' ||
      state.referral.providerOrganisationId !== answering.organisationId
    ) {
      throw new NotFoundError('referral not found');
    }
    return state.referral;
  }

  #decide(
    referralId: string,
    command: ReferralCommand,
    metadata: EventMetadata,
  ): Promise<CommandResult<ReferralState, ReferralEvent>> {
    return handleCommand(this.#store, referralStream(referralId), referralDecider, command, {
      metadata,
    });
  }
}

/** What the service does by itself, it does on behalf of the case's NGO. */
function onBehalfOf(organisationId: string, caseId: string, causationId: string): EventMetadata {
  return eventMetadata({
    actor: { organisationId, principalId: REFERRAL_SERVICE },
    correlationId: caseId,
    causationId,
  });
}
