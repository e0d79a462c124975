import { ForbiddenError, UnauthenticatedError, ValidationError } from '@aman/errors';
import type { EventStore, StoredEvent } from '@aman/eventstore';
import { idFrom, type Principal } from '@aman/service-kit';

import { type OwedNotice, type ReferralEvent, type ReferralState } from '../domain/index.ts';
import {
  programmeChangedNotification,
  revocationNotification,
  routedNotification,
  type ThinNotification,
} from '../webhooks/index.ts';
import type { ProviderDirectory } from './providerDirectory.ts';
import type { Referrals } from './referrals.ts';

/** One notification of the feed: the webhook's id, type, time and data. */
export type FeedNotification = ThinNotification & { readonly id: string };

export type FeedPage = {
  readonly notifications: readonly FeedNotification[];
  /** Opaque: the same cursor again when nothing was new. */
  readonly nextCursor: string;
};

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
/** Events looked at per call, so that one read stays short however long the log has grown. */
const SCAN_PAGE = 500;
const SCAN_PAGES = 10;
const CURSOR_VERSION = 1;

/**
 * The pull feed, for providers that cannot receive webhooks: the notifications a webhook provider
 * would get (a referral routed to it, revoked, its programme closed, its case erased), in the order referral decided
 * them, after an opaque cursor. It is read from the referral store's log itself, so nothing is
 * kept twice and nothing decided can be missing from it. Reading a routing records its delivery,
 * and reading a revocation or erasure records that the provider was told, as a webhook's 2xx
 * does.
 */
export class ProviderFeed {
  readonly #store: EventStore;
  readonly #referrals: Referrals;
  readonly #directory: ProviderDirectory;

  constructor(deps: {
    readonly store: EventStore;
    readonly referrals: Referrals;
    readonly directory: ProviderDirectory;
  }) {
    this.#store = deps.store;
    this.#referrals = deps.referrals;
    this.#directory = deps.directory;
  }

  async read(principal: Principal | undefined, cursor: string, limit: number): Promise<FeedPage> {
    if (principal === undefined) throw new UnauthenticatedError();
    if (principal.organisationType !== 'provider') {
      throw new ForbiddenError('only a provider organisation reads its feed');
    }
    const provider = principal.organisationId;
    if (!(await this.#directory.pullsFeed(provider))) {
      throw new ForbiddenError('this provider receives its notifications by webhook');
    }
    const wanted = limitOf(limit);
    let after = positionOf(cursor);
    const notifications: FeedNotification[] = [];
    scan: for (let page = 0; page < SCAN_PAGES; page += 1) {
      const events = await this.#store.readAll({ after, limit: SCAN_PAGE });
      for (const event of events) {
        const notification = await this.#notificationOf(event, provider);
        if (notification !== undefined) notifications.push(notification);
        after = event.position;
        if (notifications.length === wanted) break scan;
      }
      if (events.length < SCAN_PAGE) break;
    }
    return { notifications, nextCursor: cursorOf(after) };
  }

  /** The notification an event of the log is for this provider, recorded as delivered. */
  async #notificationOf(
    event: StoredEvent,
    provider: string,
  ): Promise<FeedNotification | undefined> {
    if (!event.stream.startsWith('referral-')) return undefined;
    const referralId = event.data['referralId'];
    if (typeof referralId !== 'string') return undefined;
    // Narrow on the event before reading the stream: most of the log is other providers'.
    const addressedTo = event.data['providerOrganisationId'];
    if (addressedTo !== undefined && addressedTo !== provider) return undefined;
    const typed = event as unknown as StoredEvent & ReferralEvent;
    if (typed.type === 'ReferralRouted') {
      const state = await this.#referrals.state(referralId);
      if (state.status === 'NOT_ROUTED') return undefined;
      await this.#referrals.recordDelivery(state.referral, 'referral.routed', event.id);
      return { id: event.id.replaceAll('.', ''), ...routedNotification(state.referral) };
    }
    if (typed.type === 'ReferralProgrammeChanged') {
      return programmeChangedNotification(typed.data);
    }
    const owed = await this.#owedAt(typed, referralId);
    if (owed === undefined) return undefined;
    const { state, notice } = owed;
    if (state.status === 'NOT_ROUTED' || state.referral.providerOrganisationId !== provider) {
      return undefined;
    }
    await this.#referrals.recordDelivery(state.referral, notice.notice, event.id);
    return {
      id: idFrom(notice.notice, referralId),
      ...revocationNotification(state.referral, notice),
    };
  }

  /** The revocation or erasure notice an event stands for, as the referral decided it. */
  async #owedAt(
    event: ReferralEvent,
    referralId: string,
  ): Promise<{ readonly state: ReferralState; readonly notice: OwedNotice } | undefined> {
    let notice: OwedNotice | undefined;
    if (event.type === 'ReferralStatusChanged' && event.data.status === 'REFERRAL_STATUS_REVOKED') {
      const reason = event.data.reason as OwedNotice['reason'];
      notice = {
        notice: reason === 'case_erased' ? 'case.erased' : 'referral.revoked',
        reason,
        at: event.data.changedAt,
      };
    } else if (event.type === 'ErasureRequested') {
      notice = { notice: 'case.erased', reason: 'case_erased', at: event.data.requestedAt };
    }
    if (notice === undefined) return undefined;
    const state = await this.#referrals.state(referralId);
    return { state, notice };
  }
}

function limitOf(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new ValidationError(`limit must be 0 (for ${DEFAULT_LIMIT}) to ${MAX_LIMIT}`);
  }
  return limit === 0 ? DEFAULT_LIMIT : limit;
}

function cursorOf(position: number): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, p: position })).toString('base64url');
}

function positionOf(cursor: string): number {
  if (cursor === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const { v, p } = parsed as { v?: unknown; p?: unknown };
      if (v === CURSOR_VERSION && typeof p === 'number' && Number.isSafeInteger(p) && p >= 0) {
        return p;
      }
    }
  } catch {
    // Reported below, without echoing what was sent.
  }
  throw new ValidationError('cursor is not one this feed gave');
}
