import { UnavailableError } from '@aman/errors';
import { BoundedMap } from '@aman/eventstore';
import { CONTEXTS, idFrom, type ConsumedEvent, type Logger } from '@aman/service-kit';

import {
  noticesOwed,
  type OwedNotice,
  type ReferralRoutedData,
  type ReferralStatus,
} from '../domain/index.ts';
import {
  revocationNotification,
  routedNotification,
  signedWebhook,
  type SignedWebhook,
  type ThinNotification,
} from '../webhooks/index.ts';
import type { ProviderDirectory } from './providerDirectory.ts';
import type { Referrals } from './referrals.ts';

/** Sends one signed webhook; resolves with the HTTP status, rejects when no answer came. */
export interface WebhookSender {
  readonly send: (
    url: string,
    webhook: SignedWebhook,
    context: { readonly referralId: string; readonly signal: AbortSignal },
  ) => Promise<number>;
}

export interface RetryPolicy {
  /** Attempts in all for one notification. */
  readonly attempts: number;
  /** Wait before the second attempt, doubled before each further one. */
  readonly firstDelayMs: number;
}

/** Five attempts over about 15 s of waiting (1 + 2 + 4 + 8), plus each attempt's own timeout. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, firstDelayMs: 1_000 };

const NOT_ACCEPTED = 'the provider’s webhook endpoint did not accept the notification';
const REVOKED: ReferralStatus = 'REFERRAL_STATUS_REVOKED';

/**
 * Tells providers, by thin notifications signed the Standard Webhooks way: a referral routed to
 * them, a referral revoked, a case erased (delete what you kept). Each is retried with backoff
 * within the handler, so that one referral's events keep their order, and carries one webhook id
 * for all its attempts, so the provider can deduplicate: the ReferralRouted event's id for a
 * routing, an id derived from the notice and the referral otherwise. A 2xx answer is recorded on
 * the referral, and what the referral says was delivered is not sent again (redelivery, replay).
 *
 * A case's erasure also reaches the providers of referrals that had already ended: on CaseErased
 * this handler revokes the case's referrals itself (as the routing process does; whichever comes
 * second decides nothing), so that a referral ending at the same moment cannot slip between the
 * erasure and its notice.
 */
export class WebhookDelivery {
  readonly #referrals: Referrals;
  readonly #providers: ProviderDirectory;
  readonly #sender: WebhookSender;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  /**
   * Notifications (by webhook id) that used up their attempts: the bus retries a failing handler
   * too, and its retries must not multiply the calls to a provider that is down.
   */
  readonly #exhausted = new BoundedMap<string, true>(10_000);

  constructor(options: {
    readonly referrals: Referrals;
    readonly providers: ProviderDirectory;
    readonly sender: WebhookSender;
    readonly logger: Logger;
    readonly retry?: RetryPolicy;
  }) {
    this.#referrals = options.referrals;
    this.#providers = options.providers;
    this.#sender = options.sender;
    this.#logger = options.logger;
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
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
    } else if (event.source === CONTEXTS.intake.source && event.type === 'CaseErased') {
      const caseId = event.data['caseId'];
      if (typeof caseId === 'string') await this.#caseErased(caseId, event);
    }
  }

  async #routed(referralId: string, event: ConsumedEvent): Promise<void> {
    // The referral's own stream is the truth: what it says was delivered is not sent again.
    const state = await this.#referrals.state(referralId);
    if (state.status !== 'REFERRAL_STATUS_ROUTED') return;
    const referral = state.referral;
    const webhookId = event.id.replaceAll('.', '');
    if (await this.#send(referral, webhookId, routedNotification(referral))) {
      await this.#referrals.recordDelivery(referral, 'referral.routed', event.id);
    }
  }

  async #revoked(referralId: string, event: ConsumedEvent): Promise<void> {
    const state = await this.#referrals.state(referralId);
    const owed = noticesOwed(state).revocation;
    if (state.status === 'NOT_ROUTED' || owed === undefined) return;
    await this.#notify(state.referral, owed, event.id);
  }

  /** Every provider that had the case is told once; one that is down does not hold up the rest. */
  async #caseErased(caseId: string, event: ConsumedEvent): Promise<void> {
    let failure: Error | undefined;
    for (const referral of await this.#referrals.ofCase(caseId)) {
      const { state } = await this.#referrals.revoke(referral, 'case_erased', event.id);
      // A referral the erasure revoked is told by its revocation's event.
      const owed = noticesOwed(state).erasure;
      if (state.status === 'NOT_ROUTED' || owed === undefined) continue;
      try {
        await this.#notify(state.referral, owed, event.id);
      } catch (error) {
        failure ??= error instanceof Error ? error : new UnavailableError(NOT_ACCEPTED);
      }
    }
    if (failure !== undefined) throw failure;
  }

  async #notify(
    referral: ReferralRoutedData,
    owed: OwedNotice,
    causationId: string,
  ): Promise<void> {
    const webhookId = idFrom(owed.notice, referral.referralId);
    if (await this.#send(referral, webhookId, revocationNotification(referral, owed))) {
      await this.#referrals.recordDelivery(referral, owed.notice, causationId);
    }
  }

  /**
   * Sends one notification to the referral's provider until it answers 2xx: true then, false
   * when the provider has no endpoint; throws once the attempts are used up.
   */
  async #send(
    referral: ReferralRoutedData,
    webhookId: string,
    payload: ThinNotification,
  ): Promise<boolean> {
    const { referralId } = referral;
    if (this.#exhausted.get(webhookId) === true) throw new UnavailableError(NOT_ACCEPTED);
    const endpoint = await this.#providers.webhookEndpoint(referral.providerOrganisationId);
    if (endpoint === undefined) {
      this.#logger.warn({ referralId }, 'the provider has no webhook endpoint; nothing sent');
      return false;
    }
    // Only the origin is logged: a path or query can hold the provider's own token.
    const origin = new URL(endpoint.url).origin;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt += 1) {
      this.#throwIfStopping();
      // Signed again for every attempt: the timestamp is the attempt's.
      const webhook = signedWebhook(endpoint.secret, {
        id: webhookId,
        timestamp: new Date(),
        payload,
      });
      let answer: { readonly status: number } | { readonly error: string };
      try {
        const status = await this.#sender.send(endpoint.url, webhook, {
          referralId,
          signal: this.#stopping.signal,
        });
        answer = { status };
      } catch (error) {
        this.#throwIfStopping();
        // The error's name only: a message can repeat the URL.
        answer = { error: error instanceof Error ? error.name : typeof error };
      }
      if ('status' in answer && answer.status >= 200 && answer.status < 300) {
        this.#logger.info({ referralId, notice: payload.type, attempt }, 'webhook delivered');
        return true;
      }
      this.#logger.warn(
        {
          referralId,
          notice: payload.type,
          endpoint: origin,
          attempt,
          of: this.#retry.attempts,
          ...answer,
        },
        'webhook not accepted',
      );
      if (attempt < this.#retry.attempts) {
        await this.#pause(this.#retry.firstDelayMs * 2 ** (attempt - 1));
      }
    }
    this.#exhausted.set(webhookId, true);
    throw new UnavailableError(NOT_ACCEPTED);
  }

  /**
   * Ends the waits and calls in progress. Stop the subscription first: the handler then fails
   * while the bus is stopping, which leaves the event for the next start instead of
   * dead-lettering it.
   */
  stop(): void {
    this.#stopping.abort();
  }

  #throwIfStopping(): void {
    if (this.#stopping.signal.aborted) throw new UnavailableError('webhook delivery is stopping');
  }

  #pause(ms: number): Promise<void> {
    const signal = this.#stopping.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
