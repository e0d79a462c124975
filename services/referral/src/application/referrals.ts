import type { intake } from '@aman/contracts';
import {
  ErasedError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from '@aman/errors';
import type { TimerFiring, TimerStore } from '@aman/timers';
import {
  handleCommand,
  loadState,
  type CommandResult,
  type EventMetadata,
  type EventStore,
  type JsonObject,
} from '@aman/eventstore';
import { everyDocument, type ReadModelCollection, type ReadModelStore } from '@aman/projections';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  FINAL,
  DEADLINES,
  mayReadPacket,
  referralDecider,
  referralStream,
  type CaseFacts,
  type Deadline,
  type DeadlineClass,
  type Need,
  type Notice,
  type ProviderMatch,
  type RecipientType,
  type ReferralAction,
  type ReferralCommand,
  type ReferralEvent,
  type ReferralRoutedData,
  type ReferralState,
  type ReferralStatus,
  type ReferralStep,
  type RevocationReason,
  type RoutedReferral,
} from '../domain/index.ts';
import { REFERRAL_DEADLINE, deadlineTimers } from './deadlineTimers.ts';
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
  /** '' for the provider itself. Absent from entries indexed before issue 9. */
  readonly programmeId?: string;
  readonly needsServed?: readonly Need[];
  /** The referral's status as last decided here; UNKNOWN until its routing is appended. */
  readonly status?: ReferralStatus | 'UNKNOWN';
  /** Routed and not ended: counts against its provider's capacity. */
  readonly open?: boolean;
  /** When it entered its status (ISO-8601). Absent from entries last changed before issue 11. */
  readonly statusSince?: string;
};

/** What the referring NGO is told of one referral: only the steps reached, each with its time. */
export type ReferralFeedback = {
  readonly referralId: string;
  readonly providerOrganisationId: string;
  readonly recipientType: RecipientType;
  readonly programmeId: string;
  readonly criteriaVersion: number;
  readonly status: ReferralStatus;
  readonly receivedAt: string;
  readonly deliveredAt?: string;
  readonly seenAt?: string;
  readonly acknowledgedAt?: string;
  readonly decidedAt?: string;
  readonly acknowledgeBy: string;
  readonly decideBy: string;
  readonly steps: readonly ReferralStep[];
  readonly programmeStatus: string;
};

/** How fast the case's providers must answer, from its newest RiskAssessed. */
export type CaseDeadlines = {
  readonly deadlineClass: DeadlineClass;
  readonly acknowledgeWithinSeconds: number;
  readonly decideWithinSeconds: number;
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

function ngo(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'ngo') {
    throw new ForbiddenError('only the referring NGO does this');
  }
  return principal;
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
  readonly #timers: TimerStore | undefined;

  private constructor(
    store: EventStore,
    byCase: ReadModelCollection,
    packets: PacketSource,
    timers: TimerStore | undefined,
  ) {
    this.#store = store;
    this.#byCase = byCase;
    this.#packets = packets;
    this.#timers = timers;
  }

  static async open(options: {
    readonly store: EventStore;
    readonly readModels: ReadModelStore;
    readonly packets: PacketSource;
    /** Where deadlines wait (`Platform.timers('deadline_timers')`); none: no deadlines kept. */
    readonly timers?: TimerStore;
  }): Promise<Referrals> {
    return new Referrals(
      options.store,
      await options.readModels.collection('case_referrals', {
        indexes: ['caseId', 'providerOrganisationId', 'programmeId', 'open', 'status'],
      }),
      options.packets,
      options.timers,
    );
  }

  /**
   * The referral's id for a case and provider, or one of its programmes: one referral per pair,
   * whenever it is routed.
   */
  static idOf(caseId: string, providerOrganisationId: string, programmeId = ''): string {
    return programmeId === ''
      ? idFrom('referral', caseId, providerOrganisationId)
      : idFrom('referral', caseId, providerOrganisationId, programmeId);
  }

  /** How many referrals a provider works on now (routed and not ended). */
  async load(providerOrganisationId: string): Promise<number> {
    return this.#byCase.count({ providerOrganisationId, open: true });
  }

  /**
   * The open referrals (routed and not ended) by status, as indexed: how many, and how long the
   * one longest in that status has been in it (seconds; 0 when none says since when).
   */
  async openByStatus(
    now = Date.now(),
  ): Promise<Map<string, { readonly count: number; readonly oldestSeconds: number }>> {
    const open = new Map<string, { count: number; oldestSeconds: number }>();
    for (const entry of await everyDocument(this.#byCase, { open: true })) {
      const status = typeof entry['status'] === 'string' ? entry['status'] : 'UNKNOWN';
      const since =
        typeof entry['statusSince'] === 'string' ? Date.parse(entry['statusSince']) : NaN;
      const seconds = Number.isNaN(since) ? 0 : Math.max(0, Math.floor((now - since) / 1000));
      const counted = open.get(status) ?? { count: 0, oldestSeconds: 0 };
      open.set(status, {
        count: counted.count + 1,
        oldestSeconds: Math.max(counted.oldestSeconds, seconds),
      });
    }
    return open;
  }

  /** Referrals that missed a deadline and were escalated (each expires as it escalates). */
  async escalations(): Promise<number> {
    return this.#byCase.count({ status: 'REFERRAL_STATUS_EXPIRED' });
  }

  /** The referrals made to a programme, as indexed. */
  async ofProgramme(programmeId: string): Promise<CaseReferral[]> {
    const documents = await everyDocument(this.#byCase, { programmeId });
    return documents.map((data) => data as unknown as CaseReferral);
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
   * The referral's state once its stream holds `version` at least: that of the event a consumer
   * reacts to. On MongoDB the log shows a commit (and the relay publishes it) a moment before the
   * stream's index does, so a consumer quick enough would read the state before its own event
   * and decide on it (the fault suite lost a webhook that way, right after FerretDB restarted).
   * Waits up to `withinMs`, then UNAVAILABLE: the consumer retries, and never decides early.
   */
  async stateAtLeast(
    referralId: string,
    version: number,
    withinMs = 5_000,
  ): Promise<ReferralState> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const loaded = await loadState<ReferralState, ReferralEvent>(
        this.#store,
        referralStream(referralId),
        referralDecider,
      );
      if ((loaded.version ?? 0) >= version) return loaded.state;
      if (Date.now() > deadline) {
        throw new UnavailableError('the referral’s stream does not show the event yet');
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /**
   * Routes a case to a matching provider, reacting to `causationId`. Routing the same pair again
   * (a redelivered event, a re-assessment) decides nothing. True when this call routed it.
   */
  async route(
    caseFacts: Pick<CaseFacts, 'caseId' | 'organisationId'> & CaseDeadlines,
    match: ProviderMatch,
    causationId: string,
  ): Promise<boolean> {
    const referralId = Referrals.idOf(
      caseFacts.caseId,
      match.providerOrganisationId,
      match.programmeId,
    );
    // Indexed before it is routed, so that no referral is ever missing from its case's list
    // (a revocation that finds the entry but no referral yet has nothing to revoke).
    const entry: CaseReferral = {
      referralId,
      caseId: caseFacts.caseId,
      organisationId: caseFacts.organisationId,
      providerOrganisationId: match.providerOrganisationId,
      providerId: match.providerId,
      recipientType: match.recipientType,
      programmeId: match.programmeId,
      needsServed: match.needsServed,
      status: 'UNKNOWN',
      open: true,
    };
    const indexed = await this.#byCase.get(referralId);
    // Absent, or forgotten (a tombstone) after a routing cut short that is planned again now.
    if (indexed?.data === undefined) {
      await this.#byCase.write([
        { id: referralId, data: entry as unknown as JsonObject, versions: {} },
      ]);
    }
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
          acknowledgeWithinSeconds: caseFacts.acknowledgeWithinSeconds,
          decideWithinSeconds: caseFacts.decideWithinSeconds,
          programmeId: match.programmeId,
          criteriaVersion: match.criteriaVersion,
          routedAt: new Date().toISOString(),
        },
      },
      onBehalfOf(caseFacts.organisationId, caseFacts.caseId, causationId),
    );
    return result.events.length > 0;
  }

  /**
   * A re-assessment: the referral's open deadlines come forward if the new level asks for it
   * (never back), and their timers are kept. Deciding it again decides nothing.
   */
  async tighten(
    referral: CaseReferral,
    deadlines: CaseDeadlines,
    causationId: string,
  ): Promise<boolean> {
    const result = await this.#decide(
      referral.referralId,
      { type: 'TightenDeadlines', data: { ...deadlines, at: new Date().toISOString() } },
      onBehalfOf(referral.organisationId, referral.caseId, causationId),
    );
    return result.events.length > 0;
  }

  /**
   * Makes sure the timers of a referral's open deadlines exist (scheduling is idempotent):
   * after every decision, and again on a redelivered event, so a crash between an append and
   * its schedule loses no deadline.
   */
  async keepDeadlines(referralId: string): Promise<void> {
    if (this.#timers === undefined) return;
    for (const timer of deadlineTimers(await this.state(referralId))) {
      await this.#timers.schedule(timer);
    }
  }

  /** The deadline TimerRunner's handler: a missed deadline expires and escalates the referral. */
  async fireDeadline({ timer }: TimerFiring): Promise<void> {
    if (timer.kind !== REFERRAL_DEADLINE) return;
    const { referralId, deadline } = timer.payload;
    if (typeof referralId !== 'string' || !isDeadline(deadline)) return;
    const state = await this.state(referralId);
    if (state.status === 'NOT_ROUTED') return;
    const { organisationId, caseId } = state.referral;
    await this.#decide(
      referralId,
      { type: 'MissDeadline', data: { deadline, at: new Date().toISOString() } },
      onBehalfOf(organisationId, caseId, timer.id),
    );
  }

  /** The referring NGO answered the provider's request for information. */
  async answerInfoRequest(
    principal: Principal | undefined,
    referralId: string,
  ): Promise<ReferralStatus> {
    const answering = ngo(principal);
    const state = await this.state(referralId);
    if (
      state.status === 'NOT_ROUTED' ||
      state.referral.organisationId !== answering.organisationId
    ) {
      throw new NotFoundError('referral not found');
    }
    const result = await this.#decide(
      referralId,
      {
        type: 'AnswerInfoRequest',
        data: { organisationId: answering.organisationId, at: new Date().toISOString() },
      },
      eventMetadata({ actor: actorOf(answering), correlationId: state.referral.caseId }),
    );
    if (result.state.status === 'NOT_ROUTED') throw new NotFoundError('referral not found');
    return result.state.status;
  }

  /** The referral's programme stopped taking referrals: its NGO is told while it is pending. */
  async noteProgrammeStatus(
    referral: CaseReferral,
    programmeId: string,
    status: string,
    causationId: string,
  ): Promise<boolean> {
    const result = await this.#decide(
      referral.referralId,
      { type: 'NoteProgrammeStatus', data: { programmeId, status, at: new Date().toISOString() } },
      onBehalfOf(referral.organisationId, referral.caseId, causationId),
    );
    return result.events.length > 0;
  }

  /**
   * What the case's NGO is told of each referral of its case: received (routed), delivered,
   * seen, acknowledged, decided, each with its time, never a step not reached. Another NGO's
   * case has no referrals as far as it can tell.
   */
  async feedback(principal: Principal | undefined, caseId: string): Promise<ReferralFeedback[]> {
    const asking = ngo(principal);
    const feedback: ReferralFeedback[] = [];
    for (const entry of await this.ofCase(caseId)) {
      if (entry.organisationId !== asking.organisationId) continue;
      const state = await this.state(entry.referralId);
      if (state.status === 'NOT_ROUTED') continue;
      feedback.push(feedbackOf(state));
    }
    return feedback;
  }

  /**
   * Brings the referral's index entry up to its stream once the stream holds `version`: that of
   * the referral's own event a consumer reacts to. A decision appends, then writes the index; the
   * event can reach a consumer between the two (the relay is quick, or the writer crashed), and
   * routing that read the older entry would take an expired or declined referral as still
   * covering its need, and never escalate.
   */
  async catchUp(referralId: string, version: number): Promise<void> {
    await this.#keepIndex(referralId, await this.stateAtLeast(referralId, version));
  }

  /** Whether the referral's routing was decided (its stream holds ReferralRouted). */
  async isRouted(referralId: string): Promise<boolean> {
    return (await this.state(referralId)).status !== 'NOT_ROUTED';
  }

  /**
   * Removes a case's index entry for a referral whose routing was never decided (cut short, and
   * no longer planned). Nothing when the referral's stream shows it routed after all.
   */
  async forgetUnrouted(referralId: string): Promise<void> {
    if (await this.isRouted(referralId)) return;
    await this.#byCase.write([{ id: referralId, data: undefined, versions: {} }]);
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
    // The provider it was addressed to is told the case was erased (its webhook said so too):
    // the packet will not come back.
    if (
      state.status !== 'NOT_ROUTED' &&
      state.referral.providerOrganisationId === reader.organisationId &&
      (state.revocation?.reason === 'case_erased' || state.erasureRequestedAt !== undefined)
    ) {
      throw new ErasedError('the case of this referral was erased');
    }
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
    // Seen once the packet is in hand: a refused fetch is not a sighting.
    if (state.seenAt === undefined) {
      await this.#decide(
        referralId,
        {
          type: 'RecordPacketFetched',
          data: { providerOrganisationId: reader.organisationId, at: new Date().toISOString() },
        },
        eventMetadata({ actor: actorOf(reader), correlationId: state.referral.caseId }),
      );
    }
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

  /**
   * Decides, then keeps the referral's index entry (status, open) and its deadline timers in
   * line with what the stream now says, also when nothing new was decided (a repeat heals what a
   * crash between the append and these writes left undone).
   */
  async #decide(
    referralId: string,
    command: ReferralCommand,
    metadata: EventMetadata,
  ): Promise<CommandResult<ReferralState, ReferralEvent>> {
    const result = await handleCommand(
      this.#store,
      referralStream(referralId),
      referralDecider,
      command,
      { metadata },
    );
    if (result.state.status !== 'NOT_ROUTED') {
      await this.#keepIndex(referralId, result.state);
      await this.keepDeadlines(referralId);
    }
    return result;
  }

  /** The referral's index entry (status, open) as its stream now says, when it says otherwise. */
  async #keepIndex(referralId: string, state: ReferralState): Promise<void> {
    if (state.status === 'NOT_ROUTED') return;
    const indexed = await this.#byCase.get(referralId);
    const entry = indexed?.data as CaseReferral | undefined;
    const open = !FINAL.includes(state.status);
    if (entry === undefined || (entry.status === state.status && entry.open === open)) return;
    await this.#byCase.write([
      {
        id: referralId,
        data: {
          ...entry,
          status: state.status,
          open,
          statusSince: new Date().toISOString(),
        } as unknown as JsonObject,
        versions: {},
      },
    ]);
  }
}

function isDeadline(value: unknown): value is Deadline {
  return typeof value === 'string' && (DEADLINES as readonly string[]).includes(value);
}

function feedbackOf(state: Exclude<ReferralState, { status: 'NOT_ROUTED' }>): ReferralFeedback {
  const referral: RoutedReferral = state.referral;
  const firstAt = (...statuses: ReferralStatus[]) =>
    state.steps.find((step) => statuses.includes(step.status))?.at;
  const times = {
    deliveredAt: firstAt('REFERRAL_STATUS_DELIVERED'),
    seenAt: state.seenAt,
    acknowledgedAt: firstAt('REFERRAL_STATUS_ACKNOWLEDGED'),
    decidedAt: firstAt('REFERRAL_STATUS_ACCEPTED', 'REFERRAL_STATUS_DECLINED'),
  };
  return {
    referralId: referral.referralId,
    providerOrganisationId: referral.providerOrganisationId,
    recipientType: referral.recipientType,
    programmeId: referral.programmeId,
    criteriaVersion: referral.criteriaVersion,
    status: state.status,
    receivedAt: referral.routedAt,
    ...Object.fromEntries(Object.entries(times).filter(([, at]) => at !== undefined)),
    acknowledgeBy: state.acknowledgeBy,
    decideBy: state.decideBy,
    steps: state.steps,
    programmeStatus: state.programmeNotices.at(-1) ?? '',
  };
}

/** What the service does by itself, it does on behalf of the case's NGO. */
function onBehalfOf(organisationId: string, caseId: string, causationId: string): EventMetadata {
  return eventMetadata({
    actor: { organisationId, principalId: REFERRAL_SERVICE },
    correlationId: caseId,
    causationId,
  });
}
