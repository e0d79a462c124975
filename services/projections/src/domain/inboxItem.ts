import { instantOf, textOf, type ViewEvent } from './events.ts';
import { ROUTED, furtherStatus } from './stages.ts';

/** A referral in its provider's inbox. */
export type InboxItem = {
  referralId: string;
  caseId: string;
  providerOrganisationId: string;
  /** The furthest status reached, e.g. REFERRAL_STATUS_ACKNOWLEDGED. */
  status: string;
  /** '' (and respondBy, routedAt) until the routing arrives. */
  deadlineClass: string;
  respondBy: string;
  routedAt: string;
};

/** The referral an event is about ('' when it names none). */
export function referralIdOf(event: ViewEvent): string {
  return textOf(event.data, 'referralId');
}

/**
 * One referral event folded into its inbox entry; undefined for an event that is not about a
 * referral. A status change may arrive before the routing: the entry starts from either.
 */
export function foldInboxItem(
  item: InboxItem | undefined,
  event: ViewEvent,
): InboxItem | undefined {
  const data = event.data;
  if (event.type !== 'ReferralRouted' && event.type !== 'ReferralStatusChanged') return item;
  const referralId = textOf(data, 'referralId');
  if (referralId === '') return item;
  const known: InboxItem = item ?? {
    referralId,
    caseId: '',
    providerOrganisationId: '',
    status: ROUTED,
    deadlineClass: '',
    respondBy: '',
    routedAt: '',
  };
  const filled = {
    ...known,
    caseId: known.caseId || textOf(data, 'caseId'),
    providerOrganisationId: known.providerOrganisationId || textOf(data, 'providerOrganisationId'),
  };
  if (event.type === 'ReferralRouted') {
    return {
      ...filled,
      deadlineClass: textOf(data, 'deadlineClass'),
      respondBy: instantOf(data, 'respondBy'),
      routedAt: instantOf(data, 'routedAt'),
    };
  }
  return { ...filled, status: furtherStatus(known.status, textOf(data, 'status')) };
}
