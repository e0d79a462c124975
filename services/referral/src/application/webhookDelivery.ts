import { UnavailableError } from '@aman/errors';
import { BoundedMap } from '@aman/eventstore';
import { CONTEXTS, type ConsumedEvent, type Logger } from '@aman/service-kit';

import { signedWebhook, thinNotification, type SignedWebhook } from '../webhooks/index.ts';
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

/**
 * Tells providers of referrals routed to them: a thin notification (ids and the deadline),
 * signed the Standard Webhooks way, retried with backoff within the handler so that one
 * referral's events keep their order. The webhook id is the ReferralRouted event's id, the same
 * for every attempt, so the provider can deduplicate. A 2xx answer records the delivery; a
 * referral already delivered is not notified again (redelivery, replay).
 */
export class WebhookDelivery {
  readonly #referrals: Referrals;
  readonly #providers: ProviderDirectory;
  readonly #sender: WebhookSender;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  /**
   * Notifications that used up their attempts: the bus retries a failing handler too, and its
   * retries must not multiply the calls to a provider that is down.
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

  /** One consumed event; only ReferralRouted concerns delivery. */
  async onEvent(event: ConsumedEvent): Promise<void> {
    if (event.source !== CONTEXTS.referral.source || event.type !== 'ReferralRouted') return;
    const referralId = event.data['referralId'];
    if (typeof referralId !== 'string') return;
    if (this.#exhausted.get(event.id) === true) throw new UnavailableError(NOT_ACCEPTED);
    // The referral's own stream is the truth: what it says was delivered is not sent again.
    const state = await this.#referrals.state(referralId);
    if (state.status !== 'REFERRAL_STATUS_ROUTED') return;
    const referral = state.referral;
    const endpoint = await this.#providers.webhookEndpoint(referral.providerOrganisationId);
    if (endpoint === undefined) {
      this.#logger.warn({ referralId }, 'the provider has no webhook endpoint; nothing sent');
      return;
    }
    const payload = thinNotification(referral);
    const id = event.id.replaceAll('.', '');
    // Only the origin is logged: a path or query can hold the provider's own token.
    const origin = new URL(endpoint.url).origin;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt += 1) {
      this.#throwIfStopping();
      // Signed again for every attempt: the timestamp is the attempt's.
      const webhook = signedWebhook(endpoint.secret, { id, timestamp: new Date(), payload });
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
        await this.#referrals.recordDelivery(referral, event.id);
        this.#logger.info({ referralId, attempt }, 'webhook delivered');
        return;
      }
      this.#logger.warn(
        { referralId, endpoint: origin, attempt, of: this.#retry.attempts, ...answer },
        'webhook not accepted',
      );
      if (attempt < this.#retry.attempts) {
        await this.#pause(this.#retry.firstDelayMs * 2 ** (attempt - 1));
      }
    }
    this.#exhausted.set(event.id, true);
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
