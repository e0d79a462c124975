import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@aman/errors';
import { handleCommand, loadState, type EventStore } from '@aman/eventstore';
import { everyDocument, type ReadModelCollection, type ReadModelStore } from '@aman/projections';
import {
  CONTEXTS,
  actorOf,
  eventMetadata,
  idFrom,
  runTimers,
  type ConsumedEvent,
  type Logger,
  type Principal,
} from '@aman/service-kit';
import type { TimerFiring, TimerRunner, TimerStore } from '@aman/timers';

import {
  noticesOwed,
  referralStream,
  type Notice,
  type ReferralState,
  type ReferralStatus,
} from '../domain/index.ts';
import {
  DEFAULT_RETRY_POLICY,
  headOf,
  notificationQueueDecider,
  type NotificationEvent,
  type NotificationQueuedData,
  type QueueCommand,
  type QueueState,
  type RetryPolicy,
} from '../notifications/index.ts';
import {
  programmeChangedNotification,
  revocationNotification,
  routedNotification,
  signedWebhook,
  type SignedWebhook,
  type ThinNotification,
} from '../webhooks/index.ts';
import { REFERRAL_SERVICE } from './events.ts';
import type { Referrals } from './referrals.ts';

export { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../notifications/index.ts';

/** Sends one signed webhook; resolves with the HTTP status, rejects when no answer came. */
export interface WebhookSender {
  readonly send: (
    url: string,
    webhook: SignedWebhook,
    context: { readonly referralId: string; readonly signal: AbortSignal },
  ) => Promise<number>;
}

/**
 * Where a provider's webhooks go and the secrets they are signed with: during a rotation the new
 * and the old secret (`secrets`), otherwise the one `secret`.
 */
export interface WebhookEndpoints {
  readonly webhookEndpoint: (providerOrganisationId: string) => Promise<
    | {
        readonly url: string;
        readonly secret: string;
        readonly secrets?: readonly string[];
      }
    | undefined
  >;
}

/** A notification that holds back its provider's later ones about the case, for an operator. */
export type DeadLetter = {
  readonly notificationId: string;
  readonly providerOrganisationId: string;
  readonly caseId: string;
  readonly referralId: string;
  readonly notice: string;
  readonly attempts: number;
  readonly reason: string;
  readonly deadAt: string;
  /** Later notifications of the same provider and case waiting behind it. */
  readonly heldBack: number;
};

/** Identifies one notification for an operator: the provider, the case and the webhook id. */
export type NotificationRef = {
  readonly providerOrganisationId: string;
  readonly caseId: string;
  readonly notificationId: string;
};

const ATTEMPT_KIND = 'referral.webhook-attempt';
/** Webhook attempts in flight at once, per referral process. */
const WEBHOOK_CONCURRENCY = 8;
const REVOKED: ReferralStatus = 'REFERRAL_STATUS_REVOKED';
/** Statuses in which a referral's routing may still be owed to its provider. */
const UNDELIVERED: readonly string[] = [
  'REFERRAL_STATUS_ROUTED',
  REVOKED,
  'REFERRAL_STATUS_EXPIRED',
];

/** One provider's notifications about one case, in order. */
export function notificationQueueStream(providerOrganisationId: string, caseId: string): string {
  return `webhooks-${idFrom('webhooks', providerOrganisationId, caseId)}`;
}

/**
 * Tells providers, by thin notifications signed the Standard Webhooks way: a referral routed to
 * them, a referral revoked, a case erased (delete what you kept). At least once, in order per
 * provider and case, durable across restarts:
 *
 * - each event that concerns a provider appends a `NotificationQueued` to the queue stream of
 *   that provider and case (`webhooks-<id>`), with one webhook id for all its attempts;
 * - only the queue's head is sent, by a durable timer (`Platform.timers()`) per attempt; a failed
 *   attempt is recorded with its next time (exponential backoff with jitter), and after the
 *   policy's attempts the head is dead-lettered, holding back the queue's later notifications
 *   while other cases keep flowing, until an operator redelivers or discards it;
 * - a 2xx answer is recorded on the referral (`RecordDelivery`, which drives `delivered`), then
 *   on the queue, and the next head is scheduled.
 *
 * Every step reads the queue and decides (a repeated timer or event decides nothing), and then
 * makes sure the head's timer exists, so a crash between two writes is healed by the repeat.
 */
export class WebhookDelivery {
  readonly #store: EventStore;
  readonly #referrals: Referrals;
  readonly #endpoints: WebhookEndpoints;
  readonly #sender: WebhookSender;
  readonly #timers: TimerStore;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #runner: TimerRunner;
  /** Attempts since this process started, for the operator's view (later, metrics). */
  readonly #attempts = { delivered: 0, failed: 0 };
  readonly #stopping = new AbortController();
  #deadLetters: Promise<ReadModelCollection> | undefined;
  readonly #readModels: ReadModelStore | undefined;

  constructor(options: {
    readonly referrals: Referrals;
    readonly providers: WebhookEndpoints;
    readonly sender: WebhookSender;
    readonly logger: Logger;
    /** The referral service's event store: the queues are streams of it. */
    readonly store?: EventStore;
    /** The service's durable timers (`Platform.timers()`): one per attempt. */
    readonly timers?: TimerStore;
    /** Where the dead letters are listed for operators. */
    readonly readModels?: ReadModelStore;
    readonly retry?: Partial<RetryPolicy>;
    /** How often the timers are polled (default 1 s). */
    readonly pollMs?: number;
    readonly random?: () => number;
  }) {
    if (options.store === undefined || options.timers === undefined) {
      // No in-memory fallback: retries that a restart forgets would break at-least-once.
      throw new ValidationError(
        'webhook delivery needs the service’s event store and durable timers (Platform.timers())',
      );
    }
    this.#store = options.store;
    this.#timers = options.timers;
    this.#readModels = options.readModels;
    this.#referrals = options.referrals;
    this.#endpoints = options.providers;
    this.#sender = options.sender;
    this.#logger = options.logger;
    this.#random = options.random ?? Math.random;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const { attempts, firstDelayMs, maxDelayMs } = this.#retry;
    if (![attempts, firstDelayMs, maxDelayMs].every((n) => Number.isSafeInteger(n) && n >= 1)) {
      throw new ValidationError('webhook retry attempts and delays must be positive integers');
    }
    this.#runner = runTimers({
      store: this.#timers,
      handle: (firing) => this.#fire(firing),
      logger: this.#logger,
      what: 'webhook attempt',
      // Attempts for different queues at once: one slow provider must not hold up the others'
      // notices, and a surge's deliveries overlap their round trips. A queue (a provider's
      // notices about a case) has one timer at a time, so its order holds.
      concurrency: WEBHOOK_CONCURRENCY,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    });
  }

  /** One consumed event: a routing, a revocation, or a case's erasure. */
  async onEvent(event: ConsumedEvent): Promise<void> {
    if (event.source === CONTEXTS.referral.source) {
      const referralId = event.data['referralId'];
      if (typeof referralId !== 'string') return;
      if (event.type === 'ReferralRouted') await this.#routed(referralId, event);
      if (event.type === 'ReferralStatusChanged' && event.data['status'] === REVOKED) {
        await this.#revoked(referralId, event);
      }
      if (event.type === 'ReferralProgrammeChanged')
        await this.#programmeChanged(referralId, event);
    } else if (event.source === CONTEXTS.intake.source && event.type === 'CaseErased') {
      const caseId = event.data['caseId'];
      if (typeof caseId === 'string') await this.#caseErased(caseId, event);
    }
  }

  /**
   * The dead-lettered notifications (oldest queue id first): every provider's for an operator,
   * its own for a provider.
   */
  async deadLetters(principal: Principal | undefined): Promise<DeadLetter[]> {
    const { own } = operatorOrProvider(principal);
    const documents = await everyDocument(
      await this.#deadLetterCollection(),
      own === undefined ? {} : { providerOrganisationId: own },
    );
    return documents.map((data) => data as unknown as DeadLetter);
  }

  /**
   * Sends a dead-lettered notification again, a new round of attempts; the queue resumes after.
   * An operator's call, or the provider's for its own (its receiver is back up).
   */
  async redeliver(principal: Principal | undefined, ref: NotificationRef): Promise<void> {
    const { by, own } = operatorOrProvider(principal);
    if (own !== undefined && own !== ref.providerOrganisationId) {
      throw new NotFoundError('no such dead-lettered notification');
    }
    await this.#decide(ref, {
      type: 'Redeliver',
      data: { notificationId: ref.notificationId, by, at: new Date().toISOString() },
    });
  }

  /** Gives up a dead-lettered notification for good: the queue moves on to the next one. */
  async discard(principal: Principal | undefined, ref: NotificationRef): Promise<void> {
    const by = operator(principal);
    await this.#decide(ref, {
      type: 'Discard',
      data: { notificationId: ref.notificationId, by, at: new Date().toISOString() },
    });
  }

  /** Webhook attempts made since this process started: delivered, and failed (each retry too). */
  attempts(): { readonly delivered: number; readonly failed: number } {
    return { ...this.#attempts };
  }

  /** Stops the timers after the attempt in flight; ends a call that is still waiting. */
  async stop(): Promise<void> {
    const stopped = this.#runner.stop();
    this.#stopping.abort();
    await stopped;
  }

  /** The referral as it stands with `event` (one of its own) applied: never an older state. */
  #stateAfter(referralId: string, event: ConsumedEvent): Promise<ReferralState> {
    return event.stream === referralStream(referralId)
      ? this.#referrals.stateAtLeast(referralId, event.version)
      : this.#referrals.state(referralId);
  }

  async #routed(referralId: string, event: ConsumedEvent): Promise<void> {
    const state = await this.#stateAfter(referralId, event);
    // What the referral says was delivered (a redelivered event, the pull feed) is not sent.
    if (state.status !== 'REFERRAL_STATUS_ROUTED') return;
    await this.#enqueue(state, event, {
      notificationId: event.id.replaceAll('.', ''),
      notice: 'referral.routed',
      payload: routedNotification(state.referral),
    });
  }

  async #revoked(referralId: string, event: ConsumedEvent): Promise<void> {
    const state = await this.#stateAfter(referralId, event);
    const owed = noticesOwed(state).revocation;
    if (state.status === 'NOT_ROUTED' || owed === undefined) return;
    await this.#enqueue(state, event, {
      notificationId: idFrom(owed.notice, referralId),
      notice: owed.notice,
      payload: revocationNotification(state.referral, owed),
    });
  }

  /** The referral's programme stopped taking referrals: its provider is told, as the NGO was. */
  async #programmeChanged(referralId: string, event: ConsumedEvent): Promise<void> {
    const state = await this.#stateAfter(referralId, event);
    const { programmeId, programmeStatus, changedAt } = event.data;
    if (
      state.status === 'NOT_ROUTED' ||
      typeof programmeId !== 'string' ||
      typeof programmeStatus !== 'string' ||
      typeof changedAt !== 'string'
    ) {
      return;
    }
    const { id, ...payload } = programmeChangedNotification({
      referralId,
      programmeId,
      programmeStatus,
      changedAt,
    });
    await this.#enqueue(state, event, { notificationId: id, notice: payload.type, payload });
  }

  /** Every provider that had the case is told, in its own queue. */
  async #caseErased(caseId: string, event: ConsumedEvent): Promise<void> {
    for (const referral of await this.#referrals.ofCase(caseId)) {
      // Revoked here too (as routing does; whichever is second decides nothing), so that a
      // referral ending at this moment cannot slip between the erasure and its notice.
      const { state } = await this.#referrals.revoke(referral, 'case_erased', event.id);
      // A referral the erasure revoked is told by its revocation's event.
      const owed = noticesOwed(state).erasure;
      if (state.status === 'NOT_ROUTED' || owed === undefined) continue;
      await this.#enqueue(state, event, {
        notificationId: idFrom(owed.notice, referral.referralId),
        notice: owed.notice,
        payload: revocationNotification(state.referral, owed),
      });
    }
  }

  async #enqueue(
    state: Exclude<ReferralState, { readonly status: 'NOT_ROUTED' }>,
    event: ConsumedEvent,
    notification: {
      readonly notificationId: string;
      /** A recorded notice (delivery and revocation are kept on the referral), or another. */
      readonly notice: Notice | ThinNotification['type'];
      readonly payload: ThinNotification;
    },
  ): Promise<void> {
    const { referralId, caseId, providerOrganisationId } = state.referral;
    const data: NotificationQueuedData = {
      notificationId: notification.notificationId,
      providerOrganisationId,
      caseId,
      referralId,
      notice: notification.notice,
      payload: notification.payload,
      causationId: event.id,
      queuedAt: new Date().toISOString(),
    };
    await this.#decide({ providerOrganisationId, caseId }, { type: 'Enqueue', data });
  }

  /** Decides on a queue, then makes sure its head has its timer and its dead letter is listed. */
  async #decide(
    ref: Omit<NotificationRef, 'notificationId'>,
    command: QueueCommand,
  ): Promise<QueueState> {
    const stream = notificationQueueStream(ref.providerOrganisationId, ref.caseId);
    const { state } = await handleCommand(this.#store, stream, notificationQueueDecider, command, {
      metadata: eventMetadata({
        actor: { organisationId: REFERRAL_SERVICE, principalId: REFERRAL_SERVICE },
        correlationId: ref.caseId,
      }),
    });
    await this.#settle(stream, ref, state);
    return state;
  }

  async #settle(
    stream: string,
    ref: Omit<NotificationRef, 'notificationId'>,
    state: QueueState,
  ): Promise<void> {
    const head = headOf(state);
    const heldBack =
      head === undefined
        ? 0
        : state.notifications.filter((queued) => queued.status === 'pending').length -
          (head.status === 'pending' ? 1 : 0);
    const dead =
      head?.status === 'dead'
        ? {
            notificationId: head.notification.notificationId,
            providerOrganisationId: ref.providerOrganisationId,
            caseId: ref.caseId,
            referralId: head.notification.referralId,
            notice: head.notification.notice,
            attempts: head.attempt,
            reason: head.reason ?? '',
            deadAt: head.nextAttemptAt,
            heldBack,
          }
        : undefined;
    const letters = await this.#deadLetterCollection();
    const listed = await letters.get(stream);
    if (dead !== undefined || listed?.data !== undefined) {
      await letters.write([{ id: stream, data: dead, versions: {} }]);
    }
    if (head?.status !== 'pending') return;
    const { notificationId } = head.notification;
    await this.#timers.schedule({
      id: `webhook:${notificationId}:${head.round}:${head.attempt}`,
      kind: ATTEMPT_KIND,
      dueAt: head.nextAttemptAt,
      payload: {
        providerOrganisationId: ref.providerOrganisationId,
        caseId: ref.caseId,
        notificationId,
        round: head.round,
        attempt: head.attempt,
      },
    });
    // A first attempt (or a redelivery) is due now: no wait for the runner's next poll.
    if (Date.parse(head.nextAttemptAt) <= Date.now()) this.#runner.wake();
  }

  /** One attempt at a queue's head, as its timer fires. */
  async #fire({ timer }: TimerFiring): Promise<void> {
    const { providerOrganisationId, caseId, notificationId, round, attempt } = timer.payload;
    if (
      typeof providerOrganisationId !== 'string' ||
      typeof caseId !== 'string' ||
      typeof notificationId !== 'string' ||
      typeof round !== 'number' ||
      typeof attempt !== 'number'
    ) {
      throw new ValidationError('a webhook attempt timer lacks its queue or attempt');
    }
    const ref = { providerOrganisationId, caseId };
    const stream = notificationQueueStream(providerOrganisationId, caseId);
    const { state } = await loadState(this.#store, stream, notificationQueueDecider);
    const head = headOf(state);
    if (
      head?.notification.notificationId !== notificationId ||
      head.status !== 'pending' ||
      head.round !== round ||
      head.attempt !== attempt
    ) {
      // Already decided (a repeated firing): make sure what follows is scheduled.
      await this.#settle(stream, ref, state);
      return;
    }
    const outcome = await this.#attempt(head.notification, attempt);
    await this.#decide(ref, {
      type: 'RecordAttempt',
      data: {
        notificationId,
        round,
        attempt,
        at: new Date().toISOString(),
        outcome,
        policy: this.#retry,
        random: this.#random(),
      },
    });
  }

  /** Sends the notification once: delivered (and recorded on the referral), failed or skipped. */
  async #attempt(
    notification: NotificationQueuedData,
    attempt: number,
  ): Promise<
    | { readonly delivered: true; readonly status: number }
    | { readonly delivered: false; readonly reason: string }
    | { readonly skipped: string }
  > {
    const { referralId, notice } = notification;
    const referral = await this.#referrals.state(referralId);
    if (referral.status === 'NOT_ROUTED') return { skipped: 'referral_unknown' };
    // Delivered by other means meanwhile (the pull feed): not sent again. A referral revoked or
    // expired before its routing got through is still told in order, routing then revocation.
    if (notice === 'referral.routed' && !UNDELIVERED.includes(referral.status)) {
      return { skipped: 'delivered_otherwise' };
    }
    const endpoint = await this.#endpoints.webhookEndpoint(notification.providerOrganisationId);
    if (endpoint === undefined) {
      // A provider without an endpoint reads the pull feed: nothing to retry.
      return { skipped: 'no_endpoint' };
    }
    // Only the origin is logged: a path or query can hold the provider's own token.
    const origin = URL.canParse(endpoint.url) ? new URL(endpoint.url).origin : 'invalid';
    // Signed again for every attempt: the timestamp is the attempt's.
    const webhook = signedWebhook(endpoint.secrets ?? [endpoint.secret], {
      id: notification.notificationId,
      timestamp: new Date(),
      payload: notification.payload,
    });
    let reason: string;
    try {
      const status = await this.#sender.send(endpoint.url, webhook, {
        referralId,
        signal: this.#stopping.signal,
      });
      if (status >= 200 && status < 300) {
        if (isNotice(notice)) {
          await this.#referrals.recordDelivery(referral.referral, notice, notification.causationId);
        }
        this.#logger.info({ referralId, notice, attempt }, 'webhook delivered');
        this.#attempts.delivered += 1;
        return { delivered: true, status };
      }
      reason = `status ${status}`;
    } catch (error) {
      // A code or a class name: a message can repeat the URL.
      reason =
        error instanceof Error && 'reason' in error && typeof error.reason === 'string'
          ? error.reason
          : error instanceof Error && 'code' in error && typeof error.code === 'string'
            ? error.code
            : error instanceof Error
              ? error.name
              : typeof error;
    }
    this.#logger.warn(
      { referralId, notice, endpoint: origin, attempt, of: this.#retry.attempts, reason },
      'webhook not accepted',
    );
    this.#attempts.failed += 1;
    return { delivered: false, reason };
  }

  #deadLetterCollection(): Promise<ReadModelCollection> {
    if (this.#readModels === undefined) {
      throw new ValidationError('webhook delivery needs the read models to list dead letters');
    }
    this.#deadLetters ??= this.#readModels.collection('webhook_dead_letters', {
      indexes: ['providerOrganisationId'],
    });
    return this.#deadLetters;
  }
}

export type { NotificationEvent };

function isNotice(notice: string): notice is Notice {
  return notice === 'referral.routed' || notice === 'referral.revoked' || notice === 'case.erased';
}

/** Who acts, and for a provider its own organisation (an operator's `own` is every provider). */
function operatorOrProvider(principal: Principal | undefined): {
  readonly by: string;
  readonly own: string | undefined;
} {
  if (principal?.organisationType === 'provider') {
    return { by: actorOf(principal).principalId, own: principal.organisationId };
  }
  return { by: operator(principal), own: undefined };
}

function operator(principal: Principal | undefined): string {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'admin') {
    throw new ForbiddenError('only an operator redelivers or discards webhook notifications');
  }
  return actorOf(principal).principalId;
}
